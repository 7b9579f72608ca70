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
        fputs(prompt, stderr)
        tcsetattr(fd, TCSAFLUSH, &noEcho)
        defer {
            tcsetattr(fd, TCSAFLUSH, &old)
            fputs("\n", stderr)
        }
        return readLine(strippingNewline: true)
    }

    static func error(_ text: String) { fputs("sleutel: \(text)\n", stderr) }
}
