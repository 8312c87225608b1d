/// The bottom module's types (JSON, Clock, RuntimeError, Locked, FormDecoding, PhoneNumber) are
/// part of the runtime's interface: every function module sees them by importing the runtime.
@_exported import BundleCore
