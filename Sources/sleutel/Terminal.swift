import Foundation
import Glibc

/// Terminal helpers for the CLI.
enum Terminal {
    /// Reads a secret line: from the terminal with echo off, or from standard input when it
    /// is not a terminal (scripts, tests). The value never goes to any log.
    static func readSecret(prompt: String) -> String? {
        let fd = STDIN_FILENO
        guard isatty(fd) == 1 else { return readLine(strippingNewline: true) }
        var old = termios()
        guard tcgetattr(fd, &old) == 0 else { return readLine(strippingNewline: true) }
        var noEcho = old
        noEcho.c_lflag &= ~tcflag_t(ECHO)
        writeStandardError(prompt)
        tcsetattr(fd, TCSAFLUSH, &noEcho)
        defer {
            tcsetattr(fd, TCSAFLUSH, &old)
            writeStandardError("\n")
        }
        return readLine(strippingNewline: true)
    }

    static func error(_ text: String) { writeStandardError("sleutel: \(text)\n") }

    static func writeStandardError(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    /// Prints a line and flushes at once (for streams such as `card watch`).
    static func printLine(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
}
