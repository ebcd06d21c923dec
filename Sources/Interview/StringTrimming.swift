/// Trimming in Swift itself: Foundation's `trimmingCharacters(in:)` goes through `NSString` on Linux, which made it
/// a visible part of every turn's end in the load profile.
extension StringProtocol where SubSequence == Substring {
    /// Without the characters at either end that match `isTrimmed`.
    public func trimmed(where isTrimmed: (Character) -> Bool) -> Substring {
        let whole = self[...]
        guard let first = whole.firstIndex(where: { !isTrimmed($0) }),
              let last = whole.lastIndex(where: { !isTrimmed($0) }) else { return whole[whole.endIndex...] }
        return whole[first...last]
    }

    /// Without whitespace and line breaks at either end.
    public var trimmedOfWhitespace: Substring { trimmed(where: \.isWhitespace) }
}
