import Foundation
import Testing
@testable import Server

/// The index added to a finished live WebM: duration, cues at the clusters that start with a keyframe, a SeekHead,
/// and the clusters themselves unchanged, also past the broken bytes a missing chunk leaves.
@Suite struct WebMIndexTests {
    typealias E = WebMIndex.ID

    static func element(_ id: UInt32, _ body: Data) -> Data { WebMIndex.element(id, body) }
    static func uint(_ id: UInt32, _ value: UInt64, bytes: Int = 2) -> Data { element(id, Data(value.bigEndianBytes.suffix(bytes))) }
    /// An element of unknown size, as live streams write Segment and Cluster.
    static func unknownSize(_ id: UInt32) -> Data { WebMIndex.idBytes(id) + Data([0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) }
    static func block(track: UInt8, at relative: Int16, keyframe: Bool, bytes: Int = 40) -> Data {
        element(E.simpleBlock, Data([0x80 | track]) + Data(UInt16(bitPattern: relative).bigEndianBytes)
                + Data([keyframe ? 0x80 : 0x00]) + Data(repeating: 0x5A, count: bytes))
    }
    static func cluster(_ timecode: UInt64, _ blocks: [Data]) -> Data {
        unknownSize(E.cluster) + uint(E.timecode, timecode) + blocks.reduce(Data(), +)
    }

    /// A live WebM as MediaRecorder writes it: video is track 1, audio track 2, a timecode unit of 1 ms.
    static func liveWebM(withGap: Bool = false) -> (file: Data, clusters: [Data], gapAt: Int) {
        let header = element(E.ebml, element(0x4282, Data("webm".utf8)))
        let info = element(E.info, uint(E.timecodeScale, 1_000_000, bytes: 3) + element(0x4D80, Data("test".utf8)))
        let tracks = element(E.tracks, element(E.trackEntry, uint(E.trackNumber, 1, bytes: 1) + uint(E.trackType, 1, bytes: 1))
                             + element(E.trackEntry, uint(E.trackNumber, 2, bytes: 1) + uint(E.trackType, 2, bytes: 1)))
        let clusters = [
            cluster(0, [block(track: 1, at: 0, keyframe: true), block(track: 2, at: 10, keyframe: true)]),
            cluster(1_000, [block(track: 2, at: 0, keyframe: true), block(track: 1, at: 40, keyframe: false)]),
            cluster(2_000, [block(track: 1, at: 0, keyframe: true), block(track: 2, at: 480, keyframe: true)]),
            cluster(3_000, [block(track: 1, at: 0, keyframe: true), block(track: 1, at: 950, keyframe: false)]),
        ]
        var file = header + unknownSize(E.segment) + info + tracks + clusters[0] + clusters[1]
        // A missing chunk: the file goes on in the middle of a block.
        let gapAt = file.count + 3
        if withGap { file += Data([0xA3, 0x84, 0x81]) } else { file += clusters[2] }
        file += clusters[3]
        return (file, clusters, gapAt)
    }

    @Test func aLiveWebMGetsItsDurationCuesAndSeekHeadWithTheClustersUnchanged() throws {
        let (file, clusters, _) = Self.liveWebM()
        let layout = try #require(WebMIndex.layout(file))
        #expect(layout.clusters.map(\.timecode) == [0, 1_000, 2_000, 3_000])
        #expect(layout.clusters.map(\.startsWithKeyframe) == [true, false, true, true])
        #expect(layout.lastBlockTime == 3_950)
        #expect(layout.videoTrack == 1)

        let indexed = WebMIndex.head(file, layout) + file[layout.firstCluster...]
        #expect(indexed.suffix(file.count - layout.firstCluster) == file[layout.firstCluster...], "the clusters are copied as they were")
        let reader = WebMIndex.Reader(data: indexed)
        let segment = try #require(reader.element(at: reader.element(at: 0)!.dataStart + reader.element(at: 0)!.size!))
        #expect(segment.id == E.segment && segment.size == nil)
        let top = reader.children(of: segment.dataStart..<(layout.firstCluster + indexed.count - file.count))
        #expect(top.map(\.id) == [E.seekHead, E.info, E.tracks, E.cues])

        // The SeekHead points at Info, Tracks and Cues.
        let seeks = reader.children(of: top[0].dataStart..<(top[0].dataStart + top[0].size!))
        let positions = seeks.map { seek in
            reader.children(of: seek.dataStart..<(seek.dataStart + seek.size!)).first { $0.id == E.seekPosition }.map(reader.uint) ?? 0
        }
        #expect(positions.map { Int($0) + segment.dataStart } == [top[1].start, top[2].start, top[3].start])

        // Info has the duration in timecode units.
        let duration = try #require(reader.children(of: top[1].dataStart..<(top[1].dataStart + top[1].size!)).first { $0.id == E.duration })
        #expect(Double(bitPattern: reader.uint(duration)) == 3_950)

        // One cue per cluster that starts with a keyframe, at that cluster.
        let cues = reader.children(of: top[3].dataStart..<(top[3].dataStart + top[3].size!))
        var cued: [(time: UInt64, at: Int)] = []
        for point in cues {
            let fields = reader.children(of: point.dataStart..<(point.dataStart + point.size!))
            let time = try #require(fields.first { $0.id == E.cueTime }).self
            let positions = try #require(fields.first { $0.id == E.cueTrackPositions })
            let position = try #require(reader.children(of: positions.dataStart..<(positions.dataStart + positions.size!))
                .first { $0.id == E.cueClusterPosition })
            cued.append((reader.uint(time), segment.dataStart + Int(reader.uint(position))))
        }
        #expect(cued.map(\.time) == [0, 2_000, 3_000])
        for (index, cue) in cued.enumerated() {
            let expected = [clusters[0], clusters[2], clusters[3]][index]
            #expect(indexed[cue.at..<(cue.at + expected.count)] == expected, "the cue at \(cue.time) ms points at its cluster")
        }
        #expect(WebMIndex.layout(indexed) == nil, "an indexed file is not indexed again")
    }

    @Test func aGapIsSkippedToTheNextCluster() throws {
        let broken = Self.liveWebM(withGap: true)
        let layout = try #require(WebMIndex.layout(broken.file, gaps: [broken.gapAt]))
        #expect(layout.clusters.map(\.timecode) == [0, 1_000, 3_000])
        #expect(layout.lastBlockTime == 3_950)
        #expect(layout.clusters.last?.offset == broken.file.count - broken.clusters[3].count)
    }

    @Test func whatIsNotALiveWebMIsLeftAlone() {
        #expect(WebMIndex.layout(Data()) == nil)
        #expect(WebMIndex.layout(Data([0x1A, 0x45, 0xDF, 0xA3]) + Data(repeating: 0x11, count: 500)) == nil)
        #expect(WebMIndex.layout(Data("RIFF....WAVE".utf8)) == nil)
        let (file, _, _) = Self.liveWebM()
        #expect(WebMIndex.layout(file.prefix(60)) == nil, "cut before the first cluster")
    }

    @Test func sizesUseAsFewBytesAsTheyNeed() {
        #expect(WebMIndex.sizeBytes(0) == Data([0x80]))
        #expect(WebMIndex.sizeBytes(126) == Data([0xFE]))
        #expect(WebMIndex.sizeBytes(127) == Data([0x40, 0x7F]), "0x7F alone would mean an unknown size")
        #expect(WebMIndex.sizeBytes(300) == Data([0x41, 0x2C]))
        #expect(WebMIndex.idBytes(E.cluster) == Data([0x1F, 0x43, 0xB6, 0x75]))
        #expect(WebMIndex.idBytes(E.timecode) == Data([0xE7]))
    }
}
