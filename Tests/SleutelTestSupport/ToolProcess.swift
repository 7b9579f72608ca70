import Foundation

/// Runs an outside tool (zbarimg, oathtool, python3) to completion and returns its exit status
/// and standard output; standard error goes to the test's own unless `quiet`.
public func runTool(_ path: String, _ arguments: [String], quiet: Bool = false) throws -> (status: Int32, output: Data) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let out = Pipe()
    process.standardOutput = out
    if quiet { process.standardError = FileHandle.nullDevice }
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, data)
}
