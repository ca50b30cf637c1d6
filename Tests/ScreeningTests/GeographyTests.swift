import Testing
@testable import Screening

@Suite("Geography: countries of BICs")
struct GeographyTests {
    @Test("a BIC's country is its fifth and sixth characters when both are letters, in any case and script")
    func bicCountry() {
        #expect(Geography.bicCountry("SABRRUMM") == "RU")
        #expect(Geography.bicCountry("sabrrumm") == "ru")
        #expect(Geography.bicCountry("DEUTDEFF500") == "DE")
        #expect(Geography.bicCountry("ABCD12XX") == nil)
        #expect(Geography.bicCountry("ABCDR1XX") == nil)
        #expect(Geography.bicCountry("ABCD@[XX") == nil)
        #expect(Geography.bicCountry("ABCDR") == nil)
        // Outside ASCII the characters decide, as before the byte fast path: Cyrillic letters are letters…
        #expect(Geography.bicCountry("ABCDР") == "Р")   // "Р" is two bytes: the 5th and 6th bytes are one letter
        // … and a multi-byte character cut in half is not.
        #expect(Geography.bicCountry("ABC\u{212A}RU") == nil)
    }
}
