import SmartPayIO

/// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it).
public enum FreePort {
    public static func allocate() throws -> Int { try LoopbackPort.free() }
}
