extension StringProtocol {
    /// Without the spaces and tabs around it, and with `lineBreaks` the CRs and LFs too: how
    /// form fields, multipart headers and the C library's settings lines are read.
    public func trimmingBlanks(lineBreaks: Bool = false) -> Substring {
        func isBlank(_ scalar: Unicode.Scalar) -> Bool {
            scalar == " " || scalar == "\t" || (lineBreaks && (scalar == "\r" || scalar == "\n"))
        }
        var scalars = Substring(self).unicodeScalars
        while let first = scalars.first, isBlank(first) { scalars.removeFirst() }
        while let last = scalars.last, isBlank(last) { scalars.removeLast() }
        return Substring(scalars)
    }
}
