import LicenseCore
import Testing

@Suite("Key files")
struct KeyFileTextTests {
    @Test("blank and # lines around the key are ignored, so are blanks and CR line ends")
    func commentsAndBlanks() throws {
        let text = "# issued for localhost\r\n\r\n  \t\n   P users=5 signature=x \t\r\n# end\n\n"
        #expect(try KeyFileText.keyLine(in: text) == "P users=5 signature=x")
    }

    @Test("exactly one key line")
    func exactlyOne() {
        #expect(throws: KeyFileText.Error.self) { try KeyFileText.keyLine(in: "# nothing\n\n") }
        #expect(throws: KeyFileText.Error.self) { try KeyFileText.keyLine(in: "P a=1\nQ b=2\n") }
    }
}
