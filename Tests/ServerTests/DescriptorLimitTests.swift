import CWebSockets
import Foundation
import Testing

/// Every lws context (each service thread's, and the load generator's) is created with `fd_limit_per_thread` from
/// `jestry_fd_limit_per_context()`. lws 4.1.6 keeps its descriptor-indexed lookup only while that covers the process's
/// whole open-file limit; below it, every socket event searches the context's connections one by one.
@Suite struct DescriptorLimitTests {
    @Test func theLimitCoversEveryDescriptorTheProcessMayOpen() throws {
        var limit = rlimit()
        #expect(getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0)
        let expected = min(UInt64(limit.rlim_cur), 1 << 20)
        #expect(UInt64(jestry_fd_limit_per_context()) == expected)
    }
}
