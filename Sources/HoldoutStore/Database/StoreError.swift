public import HoldoutModel

/// The store's errors are the domain's error shape (``HoldoutError``): one type with a code, a
/// message and the field, mapped once at each boundary (HTTP status, CLI exit).
public typealias StoreError = HoldoutError
