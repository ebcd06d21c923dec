/// The next deadline of every connection on one service thread, earliest first: a binary heap of (deadline,
/// connection serial). Service thread only.
///
/// A connection's deadline moves often; instead of finding and moving its entry, a new entry is pushed and the
/// connection remembers its current deadline, so an entry that no longer matches is stale and skipped when it comes
/// up (`popDue`). Pushing is O(log n), and nothing is done per connection per tick.
struct DeadlineQueue {
    private var heap: [(deadlineMs: Int64, serial: UInt64)] = []

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }
    var earliest: Int64? { heap.first?.deadlineMs }

    mutating func push(_ deadlineMs: Int64, serial: UInt64) {
        heap.append((deadlineMs, serial))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadlineMs < heap[parent].deadlineMs else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns every entry due at `nowMs`, earliest first.
    mutating func popDue(at nowMs: Int64) -> [(deadlineMs: Int64, serial: UInt64)] {
        var due: [(deadlineMs: Int64, serial: UInt64)] = []
        while let first = heap.first, first.deadlineMs <= nowMs {
            due.append(first)
            let last = heap.removeLast()
            guard !heap.isEmpty else { break }
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < heap.count, heap[left].deadlineMs < heap[smallest].deadlineMs { smallest = left }
                if right < heap.count, heap[right].deadlineMs < heap[smallest].deadlineMs { smallest = right }
                guard smallest != parent else { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return due
    }
}
