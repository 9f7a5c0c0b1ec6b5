import COpenBLAS

/// The OpenBLAS build and kernel set this process runs with.
enum BLASRuntime {
    /// The kernel family OpenBLAS picked (e.g. "SkylakeX", or "Haswell" when
    /// `OPENBLAS_CORETYPE=Haswell` forces the AVX2 kernels).
    static var coreName: String { String(cString: openblas_get_corename()) }
    /// OpenBLAS's compile-time configuration, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY ...".
    static var configuration: String { String(cString: openblas_get_config()).trimmingCharacters(in: .whitespaces) }
    /// Threads OpenBLAS uses per call (`OPENBLAS_NUM_THREADS`).
    static var threadCount: Int { Int(openblas_get_num_threads()) }
}
