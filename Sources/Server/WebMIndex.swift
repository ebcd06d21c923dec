import Foundation

/// What a browser's live WebM lacks for seeking, added once the recording is finished: the `Duration` in `Info`,
/// `Cues` (one per cluster that starts with a video keyframe) and a `SeekHead` that points at them.
///
/// `MediaRecorder` writes WebM as a live stream: a Segment and Clusters of unknown size, no duration, no index, so a
/// player knows neither how long the video is nor where a moment starts without reading everything before it. The
/// new file is the old one's EBML header and Segment header, then SeekHead, Info (with Duration), Tracks and Cues,
/// then every byte from the first Cluster on, unchanged (a gap's broken bytes included: players resynchronise on the
/// next Cluster, and so does this parser).
enum WebMIndex {
    enum ID {
        static let ebml: UInt32 = 0x1A45DFA3
        static let segment: UInt32 = 0x18538067
        static let seekHead: UInt32 = 0x114D9B74
        static let seek: UInt32 = 0x4DBB
        static let seekID: UInt32 = 0x53AB
        static let seekPosition: UInt32 = 0x53AC
        static let info: UInt32 = 0x1549A966
        static let timecodeScale: UInt32 = 0x2AD7B1
        static let duration: UInt32 = 0x4489
        static let tracks: UInt32 = 0x1654AE6B
        static let trackEntry: UInt32 = 0xAE
        static let trackNumber: UInt32 = 0xD7
        static let trackType: UInt32 = 0x83
        static let cluster: UInt32 = 0x1F43B675
        static let timecode: UInt32 = 0xE7
        static let simpleBlock: UInt32 = 0xA3
        static let cues: UInt32 = 0x1C53BB6B
        static let cuePoint: UInt32 = 0xBB
        static let cueTime: UInt32 = 0xB3
        static let cueTrackPositions: UInt32 = 0xB7
        static let cueTrack: UInt32 = 0xF7
        static let cueClusterPosition: UInt32 = 0xF1
        /// Elements at the Segment's level: one of these ends a Cluster of unknown size.
        static let topLevel: Set<UInt32> = [seekHead, info, tracks, cluster, cues, 0x1254C367, 0x1941A469, 0x1043A770]
    }

    struct Cluster: Equatable {
        /// Where the Cluster element starts in the file.
        var offset: Int
        var timecode: UInt64
        /// The cluster's first video block is a keyframe: a player can start decoding there.
        var startsWithKeyframe: Bool
    }

    /// The parts of a live WebM the index is built from.
    struct Layout: Equatable {
        /// The EBML header and the Segment's own header, copied as they are.
        var prefix: Range<Int>
        /// The children of Info, and the whole Tracks element.
        var infoChildren: Range<Int>
        var tracks: Range<Int>
        var firstCluster: Int
        var clusters: [Cluster]
        var timecodeScale: UInt64
        var videoTrack: UInt64
        /// The latest block time, in timecode units: the video's length.
        var lastBlockTime: UInt64
    }

    /// The layout of a live WebM, or nil when `data` is not one this can index: not WebM, already indexed (it has a
    /// SeekHead, Cues or a Duration), or with no Info, Tracks or Cluster before the first unreadable byte. `gaps`:
    /// the offsets where missing chunks would have been; no element read across one is believed, and reading goes
    /// on at the first Cluster after it.
    static func layout(_ data: Data, gaps: [Int] = []) -> Layout? {
        let reader = Reader(data: data)
        guard let ebml = reader.element(at: 0), ebml.id == ID.ebml, let ebmlSize = ebml.size,
              let segment = reader.element(at: ebml.dataStart + ebmlSize), segment.id == ID.segment else { return nil }
        var position = segment.dataStart
        var info: Range<Int>?
        var tracks: Range<Int>?
        var timecodeScale: UInt64 = 1_000_000
        var videoTrack: UInt64?
        while let element = reader.element(at: position), element.id != ID.cluster {
            guard let size = element.size, element.dataStart + size <= data.count else { return nil }
            let body = element.dataStart..<(element.dataStart + size)
            switch element.id {
            case ID.seekHead, ID.cues: return nil
            case ID.info:
                if reader.children(of: body).contains(where: { $0.id == ID.duration }) { return nil }
                if let scale = reader.children(of: body).first(where: { $0.id == ID.timecodeScale }) {
                    timecodeScale = reader.uint(scale)
                }
                info = body
            case ID.tracks:
                tracks = element.start..<body.upperBound
                for entry in reader.children(of: body) where entry.id == ID.trackEntry {
                    let fields = reader.children(of: entry.dataStart..<(entry.dataStart + (entry.size ?? 0)))
                    if let type = fields.first(where: { $0.id == ID.trackType }), reader.uint(type) == 1,
                       let number = fields.first(where: { $0.id == ID.trackNumber }) {
                        videoTrack = reader.uint(number)
                    }
                }
            default: break
            }
            position = body.upperBound
        }
        guard let info, let tracks, reader.element(at: position)?.id == ID.cluster else { return nil }
        let (clusters, lastBlockTime) = reader.clusters(from: position, videoTrack: videoTrack ?? 1, gaps: gaps.sorted())
        guard !clusters.isEmpty else { return nil }
        return Layout(prefix: 0..<segment.dataStart, infoChildren: info, tracks: tracks, firstCluster: position,
                      clusters: clusters, timecodeScale: timecodeScale, videoTrack: videoTrack ?? 1, lastBlockTime: lastBlockTime)
    }

    /// The new file's beginning, up to its first Cluster; the old file from `layout.firstCluster` on follows it.
    static func head(_ data: Data, _ layout: Layout) -> Data {
        let duration = Double(layout.lastBlockTime)
        let info = element(ID.info, data[layout.infoChildren] + element(ID.duration, Data(duration.bitPattern.bigEndianBytes)))
        let tracks = data[layout.tracks]
        // Every position is a fixed eight bytes, so the sizes below do not depend on the positions.
        let seekHeadLength = seekHead(info: 0, tracks: 0, cues: 0).count
        let cuesLength = cues(layout, clustersStart: 0).count
        let infoAt = UInt64(seekHeadLength)
        let tracksAt = infoAt + UInt64(info.count)
        let cuesAt = tracksAt + UInt64(tracks.count)
        let clustersAt = cuesAt + UInt64(cuesLength)
        var head = Data(data[layout.prefix])
        head += seekHead(info: infoAt, tracks: tracksAt, cues: cuesAt)
        head += info
        head += tracks
        head += cues(layout, clustersStart: clustersAt)
        return head
    }

    private static func seekHead(info: UInt64, tracks: UInt64, cues: UInt64) -> Data {
        element(ID.seekHead, [(ID.info, info), (ID.tracks, tracks), (ID.cues, cues)].reduce(into: Data()) { body, entry in
            body += element(ID.seek, element(ID.seekID, idBytes(entry.0)) + element(ID.seekPosition, Data(entry.1.bigEndianBytes)))
        })
    }

    /// One cue per cluster that starts with a video keyframe, at its position from the Segment's data.
    private static func cues(_ layout: Layout, clustersStart: UInt64) -> Data {
        element(ID.cues, layout.clusters.filter(\.startsWithKeyframe).reduce(into: Data()) { body, cluster in
            let position = clustersStart + UInt64(cluster.offset - layout.firstCluster)
            body += element(ID.cuePoint, element(ID.cueTime, Data(cluster.timecode.bigEndianBytes))
                + element(ID.cueTrackPositions, element(ID.cueTrack, Data(layout.videoTrack.bigEndianBytes))
                    + element(ID.cueClusterPosition, Data(position.bigEndianBytes))))
        })
    }

    /// Writes `file` with its index to `destination`, streaming the clusters from the mapped file; false (and nothing
    /// written) when there is nothing this can index.
    static func writeIndexed(_ file: URL, to destination: URL, gaps: [Int] = []) throws -> Bool {
        let data = try Data(contentsOf: file, options: .alwaysMapped)
        guard let layout = layout(data, gaps: gaps) else { return false }
        guard FileManager.default.createFile(atPath: destination.path, contents: head(data, layout)) else {
            throw CocoaError(.fileWriteUnknown)
        }
        let handle = try FileHandle(forWritingTo: destination)
        defer { try? handle.close() }
        try handle.seekToEnd()
        var offset = layout.firstCluster
        while offset < data.count {
            let end = min(offset + 4 * 1_048_576, data.count)
            try handle.write(contentsOf: data[offset..<end])
            offset = end
        }
        return true
    }

    static func element(_ id: UInt32, _ body: Data) -> Data {
        idBytes(id) + sizeBytes(body.count) + body
    }

    static func idBytes(_ id: UInt32) -> Data {
        let bytes = id.bigEndianBytes
        return Data(bytes.drop { $0 == 0 })
    }

    /// An EBML size in as few bytes as it needs.
    static func sizeBytes(_ size: Int) -> Data {
        var length = 1
        while length < 8 && UInt64(size) >= (UInt64(1) << (7 * UInt64(length))) - 1 { length += 1 }
        var bytes = [UInt8](repeating: 0, count: length)
        var value = UInt64(size)
        for index in stride(from: length - 1, through: 0, by: -1) {
            bytes[index] = UInt8(value & 0xFF)
            value >>= 8
        }
        bytes[0] |= UInt8(0x80 >> (length - 1))
        return Data(bytes)
    }

    /// Bounds-checked reading of EBML elements.
    struct Reader {
        let data: Data

        struct Element {
            var id: UInt32
            var start: Int
            var dataStart: Int
            /// nil: unknown size (live streams write Segment and Clusters so).
            var size: Int?
        }

        func byte(_ index: Int) -> UInt8? { index >= 0 && index < data.count ? data[data.startIndex + index] : nil }

        /// A variable-length integer at `index`: its value (without the length marker, unless `keepMarker`) and length.
        func varint(at index: Int, keepMarker: Bool) -> (value: UInt64, length: Int, allOnes: Bool)? {
            guard let first = byte(index), first != 0 else { return nil }
            let length = first.leadingZeroBitCount + 1
            var value = UInt64(keepMarker ? first : first & (0xFF >> length))
            var allOnes = value == UInt64(0xFF >> length)
            for offset in 1..<length {
                guard let next = byte(index + offset) else { return nil }
                value = value << 8 | UInt64(next)
                allOnes = allOnes && next == 0xFF
            }
            return (value, length, allOnes)
        }

        func element(at index: Int) -> Element? {
            guard let id = varint(at: index, keepMarker: true), id.length <= 4,
                  let size = varint(at: index + id.length, keepMarker: false) else { return nil }
            let dataStart = index + id.length + size.length
            if size.allOnes { return Element(id: UInt32(id.value), start: index, dataStart: dataStart, size: nil) }
            guard size.value <= UInt64(data.count), dataStart + Int(size.value) <= data.count else { return nil }
            return Element(id: UInt32(id.value), start: index, dataStart: dataStart, size: Int(size.value))
        }

        func children(of range: Range<Int>) -> [Element] {
            var result: [Element] = []
            var index = range.lowerBound
            while index < range.upperBound, let child = element(at: index), let size = child.size {
                result.append(child)
                index = child.dataStart + size
            }
            return result
        }

        func uint(_ element: Element) -> UInt64 {
            (0..<min(element.size ?? 0, 8)).reduce(UInt64(0)) { $0 << 8 | UInt64(byte(element.dataStart + $1) ?? 0) }
        }

        /// Every Cluster from `start` to the end, resynchronising on the next Cluster id after bytes it cannot read;
        /// and the latest block time seen.
        func clusters(from start: Int, videoTrack: UInt64, gaps: [Int]) -> ([Cluster], UInt64) {
            var clusters: [Cluster] = []
            var lastBlockTime: UInt64 = 0
            var index = start
            var gaps = gaps[...]
            while index < data.count {
                while let gap = gaps.first, gap <= index { gaps = gaps.dropFirst() }
                let nextGap = gaps.first ?? Int.max
                guard let cluster = element(at: index), cluster.id == ID.cluster else {
                    guard let next = nextCluster(after: index) else { break }
                    index = next
                    continue
                }
                let end = min(cluster.size.map { cluster.dataStart + $0 } ?? data.count, nextGap)
                var timecode: UInt64?
                var keyframe: Bool?
                var child = cluster.dataStart
                while child < end, let field = element(at: child), !ID.topLevel.contains(field.id), let size = field.size,
                      field.dataStart + size <= end {
                    if field.id == ID.timecode { timecode = uint(field) }
                    if field.id == ID.simpleBlock, let track = varint(at: field.dataStart, keepMarker: false),
                       let high = byte(field.dataStart + track.length), let low = byte(field.dataStart + track.length + 1),
                       let flags = byte(field.dataStart + track.length + 2), let clusterTime = timecode {
                        let relative = Int64(Int16(bitPattern: UInt16(high) << 8 | UInt16(low)))
                        lastBlockTime = max(lastBlockTime, UInt64(max(0, Int64(clusterTime) + relative)))
                        if track.value == videoTrack, keyframe == nil { keyframe = flags & 0x80 != 0 }
                    }
                    child = field.dataStart + size
                }
                if let timecode { clusters.append(Cluster(offset: index, timecode: timecode, startsWithKeyframe: keyframe ?? false)) }
                // Where it ended: the next element is read as a Cluster, or bytes a gap left are skipped to the next one.
                if cluster.size != nil, end < nextGap {
                    index = end
                } else if child < nextGap, let following = element(at: child), ID.topLevel.contains(following.id) {
                    index = child
                } else if end == nextGap {
                    guard let next = nextCluster(after: nextGap - 1) else { break }
                    index = next
                } else {
                    index = child  // unreadable bytes: the loop goes on at the next Cluster
                }
            }
            return (clusters, lastBlockTime)
        }

        func nextCluster(after index: Int) -> Int? {
            let pattern = ID.cluster.bigEndianBytes
            guard index + 1 < data.count else { return nil }
            return data[(data.startIndex + index + 1)...].firstRange(of: pattern).map { $0.lowerBound - data.startIndex }
        }
    }
}

extension FixedWidthInteger {
    var bigEndianBytes: [UInt8] {
        withUnsafeBytes(of: bigEndian) { Array($0) }
    }
}
