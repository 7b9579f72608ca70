import ArgumentParser
import BelgianEID
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

    /// Verifies the cardholder PIN from a prompt without echo (or stdin), or on the reader's
    /// pin pad. A wrong PIN exits 4 with the tries left, a blocked PIN exits 5; the PIN itself
    /// is never printed.
    static func verifyPIN(on card: EIDCard, pinpad: Bool) throws {
        do {
            if pinpad {
                print("Enter your PIN on the reader's pin pad.")
                try card.verifyPINOnPinPad()
            } else {
                guard let text = readSecret(prompt: "PIN: ") else { throw ValidationError("no PIN given") }
                try card.verifyPIN(PIN(text))
            }
        } catch let error as EIDError where error.code == .pinIncorrect {
            Terminal.error("wrong PIN, \(error.triesLeft.map(String.init) ?? "?") tries left")
            throw ExitCode(4)
        } catch let error as EIDError where error.code == .pinBlocked {
            Terminal.error("the PIN is blocked; only the municipality can unblock it")
            throw ExitCode(5)
        }
    }
}
