/// PostgreSQL array literals, for passing lists as one text parameter (`$1::text[]`).
enum SQLArray {
    /// `{"a","b"}`: every element quoted, `"` and `\` escaped, so no value (`NULL`, a comma, a
    /// brace, a quote) changes the array's shape.
    static func text(_ values: [String]) -> String {
        var literal = "{"
        for (index, value) in values.enumerated() {
            if index > 0 { literal += "," }
            literal += "\""
            for character in value.unicodeScalars {
                if character == "\"" || character == "\\" { literal += "\\" }
                literal.unicodeScalars.append(character)
            }
            literal += "\""
        }
        return literal + "}"
    }

    /// `{1,NULL,3}`.
    static func numbers(_ values: [Int?]) -> String {
        "{" + values.map { $0.map(String.init) ?? "NULL" }.joined(separator: ",") + "}"
    }
}
