/// The value of an attribute: a scalar, a 1-D array, or a string (stored as a variable-length
/// UTF-8 string, which h5py reads as `str`). Integers are stored as int64, reals as float64.
public enum AttributeValue: Equatable, Sendable {
    case int64(Int64)
    case double(Double)
    case string(String)
    case int64Array([Int64])
    case doubleArray([Double])
    case stringArray([String])

    /// The integer, if this is `.int64`.
    public var int64Value: Int64? {
        if case .int64(let value) = self { return value }
        return nil
    }

    /// The integer as `Int`, if this is `.int64`.
    public var intValue: Int? { int64Value.map { Int($0) } }

    /// The real number, if this is `.double`.
    public var doubleValue: Double? {
        if case .double(let value) = self { return value }
        return nil
    }

    /// The string, if this is `.string`.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The integers, if this is `.int64Array`.
    public var int64ArrayValue: [Int64]? {
        if case .int64Array(let values) = self { return values }
        return nil
    }

    /// The real numbers, if this is `.doubleArray`.
    public var doubleArrayValue: [Double]? {
        if case .doubleArray(let values) = self { return values }
        return nil
    }

    /// The strings, if this is `.stringArray`.
    public var stringArrayValue: [String]? {
        if case .stringArray(let values) = self { return values }
        return nil
    }
}

extension AttributeValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int64(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
}
