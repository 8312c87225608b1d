import Testing
import FunctionRuntime

/// The small shared helpers the hot paths lean on: byte-wise search, trimming, the JSON writer's
/// escaping in runs, threads whose value is waited for, and the lock.
@Suite struct CoreHelpersTests {
    @Test func includesMatchesBytesAnywhere() {
        #expect("Basic dG9rZW4=".includes("dG9rZW4="))
        #expect("/api/v2/tickets/12.json".includes("/api/"))
        #expect("abc".includes("c"))
        #expect("abc".includes(""))
        #expect(!"abc".includes("abcd"))
        #expect(!"abc".includes("x"))
        #expect(!"".includes("a"))
        #expect("Grüße, Zoë".includes("Zoë"))
        #expect(!"aaab".includes("aab" + "c"))
        #expect("aaab".includes("aab"))
    }

    @Test func aCBufferEndsAtItsFirstNUL() {
        #expect(String(cBuffer: [104, 105, 0, 120, 0]) == "hi")
        #expect(String(cBuffer: [104, 105]) == "hi")
        #expect(String(cBuffer: [0, 104]) == "")
        #expect(String(cBuffer: [104, -1, 0]) == "h\u{FFFD}")
    }

    @Test func trimmedRemovesOnlyTheEdges() {
        #expect("plain".trimmed() == "plain")
        #expect("  two words \n".trimmed() == "two words")
        #expect("\u{00A0}\u{2003}nbsp\u{2003}".trimmed() == "nbsp")
        #expect(" \t\r\n ".trimmed() == "")
        #expect("".trimmed() == "")
        #expect("x y"[...].trimmed() == "x y")
    }

    @Test func stringsAreWrittenWithEscapesBetweenRuns() throws {
        let text = "run \"quoted\" \\ back\u{01}\ttab\nline — ünïcode"
        let written = JSON.string(text).serialized()
        #expect(written == #""run \"quoted\" \\ back\u0001\ttab\nline — ünïcode""#)
        #expect(try JSON.parse(written) == .string(text))
        #expect(JSON.string("").serialized() == #""""#)
        #expect(JSON.string("\"").serialized() == #""\"""#)
    }

    @Test func objectsKeepTheLastOfARepeatedNameAndWriteKeysSorted() throws {
        let v = try JSON.parse(#"{"b":1,"a":2,"b":3,"c":{"z":1,"y":2}}"#)
        #expect(v["b"] == 3)
        #expect(v.serialized() == #"{"a":2,"b":3,"c":{"y":2,"z":1}}"#)
    }

    @Test func aSpawnedThreadGivesItsValue() {
        let joined = Thread.spawn { (1...1000).reduce(0, +) }
        #expect(joined.wait() == 500_500)
        #expect(joined.wait() == 500_500)  // a second wait returns the same value at once
    }

    @Test func theLockExcludes() {
        final class Counter: @unchecked Sendable { var n = 0 }
        let counter = Counter()
        let lock = Lock()
        let workers = (0..<4).map { _ in
            Thread.spawn {
                for _ in 0..<20_000 { lock.withLock { counter.n += 1 } }
                return true
            }
        }
        #expect(workers.allSatisfy { $0.wait() })
        #expect(counter.n == 80_000)
    }
}
