import Testing

/// The browser client (web-static/) in headless Chromium against the real engine.
///
/// One browser at a time: the suites below are nested here so that `.serialized` covers all of them, which keeps the
/// run steady on a two-core machine.
@Suite(.serialized) struct BrowserTests {}
