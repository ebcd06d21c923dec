import Foundation

/// Measures an answer's text: words, filler words, numbers, STAR parts and "I" against "we".
///
/// Pure and deterministic, so coaching and follow-up choices are reproducible in tests.
public enum AnswerAnalyzer {
    public static func analyze(_ text: String, durationMs: Int64 = 0) -> AnswerAnalysis {
        let tokens = tokenize(text)
        let words = tokens.map(\.word)
        var analysis = AnswerAnalysis(durationMs: durationMs)
        analysis.wordCount = words.count
        analysis.fillers = fillers(in: tokens)
        analysis.hedges = hedges(in: words)
        analysis.mentionsNumbers = tokens.contains { isNumeric($0.word) }
        // "my" is left out: "at my last job we…" still leaves the candidate's own part unsaid.
        analysis.firstPersonSingular = words.filter { ["i", "i'm", "i've", "i'd", "i'll", "me", "myself"].contains($0) }.count
        analysis.firstPersonPlural = words.filter { ["we", "we're", "we've", "we'd", "we'll", "us", "our", "ourselves"].contains($0) }.count
        analysis.starParts = starParts(in: " " + words.joined(separator: " ") + " ")
        return analysis
    }

    /// A word with what stood right after it: punctuation sets a filler off.
    struct Token: Equatable {
        var word: String
        /// The word is followed by a comma, dash, full stop or other break.
        var breakAfter: Bool
    }

    /// The answer's words, lower-cased, each marked when a break follows it. Transcripts are nearly always ASCII,
    /// which is read byte by byte (`asciiTokens`); any other text goes through `characterTokens`, which the ASCII
    /// path matches exactly (tested on random text).
    static func tokenize(_ text: String) -> [Token] {
        var text = text
        return text.withUTF8 { asciiTokens($0) } ?? characterTokens(text)
    }

    /// `characterTokens` for ASCII text, without Unicode property lookups or a `Character` per byte (which cost
    /// about half of each turn's analysis); nil when the text is not all ASCII.
    static func asciiTokens(_ bytes: UnsafeBufferPointer<UInt8>) -> [Token]? {
        guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
        var tokens: [Token] = []
        var current: [UInt8] = []
        current.reserveCapacity(32)
        func flush(breakAfter: Bool) {
            // A trailing "." or "," that was glued to a number ("3.") belongs to the sentence, not the number.
            var breakAfter = breakAfter
            while let last = current.last, last == UInt8(ascii: ".") || last == UInt8(ascii: ",") {
                current.removeLast()
                breakAfter = true
            }
            if !current.isEmpty {
                tokens.append(Token(word: String(decoding: current, as: UTF8.self), breakAfter: breakAfter))
                current.removeAll(keepingCapacity: true)
            } else if breakAfter, !tokens.isEmpty {
                tokens[tokens.count - 1].breakAfter = true
            }
        }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): current.append(byte + 32)
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "'"), UInt8(ascii: "%"), UInt8(ascii: "$"):
                current.append(byte)
            case UInt8(ascii: "."), UInt8(ascii: ","):
                if let last = current.last, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(last) {
                    current.append(byte)
                } else {
                    flush(breakAfter: true)
                }
            case UInt8(ascii: " "), 0x09...0x0D:  // the ASCII that `Character.isWhitespace` accepts
                flush(breakAfter: false)
            default:
                flush(breakAfter: true)
            }
        }
        flush(breakAfter: true)
        return tokens
    }

    static func characterTokens(_ text: String) -> [Token] {
        var tokens: [Token] = []
        var current = ""
        func flush(breakAfter: Bool) {
            if !current.isEmpty {
                tokens.append(Token(word: current, breakAfter: breakAfter))
                current = ""
            } else if breakAfter, !tokens.isEmpty {
                tokens[tokens.count - 1].breakAfter = true
            }
        }
        for character in text.lowercased() {
            if character.isLetter || character.isNumber || character == "'" || character == "’" || character == "%"
                || character == "$" || character == "€" || character == "£"
                || ((character == "." || character == ",") && current.last?.isNumber == true) {
                current.append(character == "’" ? "'" : character)
            } else if character.isWhitespace {
                flush(breakAfter: false)
            } else {
                flush(breakAfter: true)
            }
        }
        flush(breakAfter: true)
        // A trailing "." or "," that was glued to a number ("3.") belongs to the sentence, not the number.
        return tokens.map { token in
            var token = token
            while let last = token.word.last, last == "." || last == "," {
                token.word.removeLast()
                token.breakAfter = true
            }
            return token
        }.filter { !$0.word.isEmpty }
    }

    /// Sounds that are fillers wherever they appear.
    static let alwaysFillers: Set<String> = ["um", "umm", "uh", "uhh", "er", "erm", "ah", "hmm", "basically", "literally"]

    static func fillers(in tokens: [Token]) -> [String: Int] {
        var counts: [String: Int] = [:]
        var index = 0
        func setOffBefore(_ position: Int) -> Bool {
            position == 0 || tokens[position - 1].breakAfter || alwaysFillers.contains(tokens[position - 1].word)
        }
        func fillerFollows(_ position: Int) -> Bool {
            position < tokens.count && alwaysFillers.contains(tokens[position].word)
        }
        while index < tokens.count {
            let token = tokens[index]
            let next = index + 1 < tokens.count ? tokens[index + 1] : nil
            if alwaysFillers.contains(token.word) {
                counts[token.word, default: 0] += 1
            } else if token.word == "like" {
                // "like" is a verb or preposition ("I like", "looks like a") unless set off as a filler:
                // "it was, like, huge", "um like", "like, we".
                if token.breakAfter || (setOffBefore(index) && index > 0) || fillerFollows(index + 1) {
                    counts["like", default: 0] += 1
                }
            } else if token.word == "so" {
                if token.breakAfter || fillerFollows(index + 1) {
                    counts["so", default: 0] += 1
                }
            } else if let next, (token.word, next.word) == ("you", "know") || (token.word, next.word) == ("i", "mean") {
                // "you know, …", "…, I mean, …"; not "do you know the answer" or "what I mean is".
                if next.breakAfter || (setOffBefore(index) && (index + 2 >= tokens.count || next.breakAfter)) {
                    counts["\(token.word) \(next.word)", default: 0] += 1
                    index += 1
                }
            }
            index += 1
        }
        return counts
    }

    static let singleWordHedges: Set<String> = ["maybe", "perhaps", "probably", "possibly"]
    static let twoWordHedges: Set<String> = ["i guess", "sort of", "kind of", "i suppose", "more or less"]

    static func hedges(in words: [String]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for (index, word) in words.enumerated() {
            if singleWordHedges.contains(word) { counts[word, default: 0] += 1 }
            if index + 1 < words.count {
                let pair = word + " " + words[index + 1]
                if twoWordHedges.contains(pair) { counts[pair, default: 0] += 1 }
            }
        }
        return counts
    }

    /// Tools and technologies a candidate may name; capitalised words mid-sentence count too.
    static let knownSpecifics: Set<String> = [
        "sql", "python", "java", "kotlin", "golang", "rust", "javascript", "typescript", "react", "kubernetes",
        "docker", "aws", "gcp", "azure", "postgres", "postgresql", "mysql", "redis", "kafka", "jira", "figma", "excel",
        "tableau", "looker", "amplitude", "mixpanel", "salesforce", "github", "gitlab", "jenkins", "terraform", "linux",
        "grafana", "datadog", "sentry", "okr", "okrs", "kpi", "kpis", "nps", "a/b", "api", "apis",
    ]

    /// Named tools, technologies and proper names in the answer (lower-cased, in order, without repeats).
    public static func specifics(in text: String) -> [String] {
        var found: [String] = []
        var sentenceStart = true
        for raw in text.split(whereSeparator: \.isWhitespace) {
            let word = raw.trimmed(where: \.isPunctuation)
            let lower = word.lowercased()
            let capitalisedMidSentence = !sentenceStart && word.first?.isUppercase == true && lower != "i"
                && !lower.hasPrefix("i'")
            if (knownSpecifics.contains(lower) || capitalisedMidSentence), !found.contains(lower), !lower.isEmpty {
                found.append(lower)
            }
            sentenceStart = raw.last.map { ".!?".contains($0) } ?? false
        }
        return found
    }

    static let stopWords: Set<String> = [
        "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "about", "from", "by", "as",
        "is", "are", "was", "were", "be", "been", "do", "did", "does", "you", "your", "me", "tell", "what", "when",
        "how", "why", "who", "which", "that", "this", "it", "time", "give", "example", "describe", "walk", "through",
        "had", "have", "has", "there", "some", "something", "would", "could", "did", "i", "we", "my", "our", "they",
    ]

    /// The share of the question's content words (compared by their first five letters) that the answer uses.
    public static func keywordOverlap(question: String, answer: String) -> Double {
        func stems(_ text: String) -> Set<String> {
            Set(tokenize(text).map(\.word).filter { $0.count > 2 && !stopWords.contains($0) }.map { String($0.prefix(5)) })
        }
        let asked = stems(question)
        guard !asked.isEmpty else { return 0 }
        return Double(asked.intersection(stems(answer)).count) / Double(asked.count)
    }

    static let numberWords: Set<String> = [
        "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "fifteen",
        "twenty", "thirty", "forty", "fifty", "hundred", "hundreds", "thousand", "thousands", "million", "millions",
        "billion", "dozen", "dozens", "twice", "half", "double", "doubled", "tripled", "percent", "halved",
        "third", "thirds", "quarter", "quarters",
    ]

    static func isNumeric(_ word: String) -> Bool {
        word.contains(where: \.isNumber) || numberWords.contains(word)
    }

    static let starCues: [AnswerAnalysis.StarPart: [String]] = [
        .situation: [" when i was ", " at my ", " at the time ", " situation ", " context ", " we had ", " there was ",
                     " in my previous ", " in my last ", " at my last ", " our team ", " the team was ", " the company "],
        .task: [" my goal ", " my task ", " i was responsible ", " i needed to ", " i had to ", " my job was ",
                " i was asked ", " the goal was ", " responsible for ", " my role ", " our goal "],
        .action: [" i decided ", " i built ", " i led ", " i wrote ", " i created ", " i organized ", " i organised ",
                  " i set up ", " i talked ", " i proposed ", " i implemented ", " i designed ", " i started ",
                  " i worked ", " i scheduled ", " i changed ", " i introduced ", " i met ", " i spoke ", " so i ",
                  " i made ", " i ran ", " i took ", " i wrote ", " i built ", " i set ", " i put ", " i brought ",
                  " i reached out ", " i sat down ", " i went ", " i got ", " i gave ", " i found "],
        .result: [" as a result ", " resulted ", " the result ", " outcome ", " reduced ", " increased ", " improved ",
                  " saved ", " grew ", " cut ", " shipped ", " launched ", " in the end ", " eventually ",
                  " we delivered ", " i learned ", " i learnt ", " dropped ", " fell ", " went from ", " went down ",
                  " went up ", " rose ", " led to ", " which meant ", " ended up ", " turned out "],
    ]

    static func starParts(in paddedText: String) -> Set<AnswerAnalysis.StarPart> {
        var parts = Set<AnswerAnalysis.StarPart>()
        // A byte search: Foundation's `String.contains` cost more than the rest of the analysis together.
        let text = Array(paddedText.utf8)
        for (part, cues) in starCueBytes where cues.contains(where: { occurs($0, in: text) }) {
            parts.insert(part)
        }
        if hasFirstPersonPastTenseVerb(paddedText) { parts.insert(.action) }
        return parts
    }

    static let starCueBytes = starCues.mapValues { cues in cues.map { Array($0.utf8) } }

    /// Whether `needle` occurs in `haystack`.
    static func occurs(_ needle: [UInt8], in haystack: [UInt8]) -> Bool {
        guard let first = needle.first else { return true }
        guard needle.count <= haystack.count else { return false }
        return haystack.withUnsafeBufferPointer { hay in
            needle.withUnsafeBufferPointer { needle in
                for start in 0...(hay.count - needle.count) where hay[start] == first
                    && memcmp(hay.baseAddress! + start, needle.baseAddress!, needle.count) == 0 {
                    return true
                }
                return false
            }
        }
    }

    /// Verbs of wanting or being describe a task or a situation, not an action.
    static let nonActionVerbs: Set<String> = ["needed", "wanted", "used", "wondered", "hoped", "liked", "loved", "hated"]

    /// "I fixed", "I added", "I migrated": the candidate saying what they did, in any regular past tense.
    static func hasFirstPersonPastTenseVerb(_ paddedText: String) -> Bool {
        let words = paddedText.split(separator: " ")
        return zip(words, words.dropFirst()).contains { subject, verb in
            subject == "i" && verb.count > 3 && verb.hasSuffix("ed") && !nonActionVerbs.contains(String(verb))
        }
    }
}
