namespace Visage.Storage;

/// <summary>Base of the store's typed failures, so callers map them to the error envelope in one place.</summary>
public abstract class StoreException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The database cannot be reached or written: server down, wrong credentials, read-only or full
/// data directory. The service answers 503 and /readyz turns red.</summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : StoreException(message, inner);

/// <summary>A row with that id (or unique value, e.g. an API key hash) already exists.</summary>
public sealed class StoreConflictException(string message, Exception? inner = null) : StoreException(message, inner);

/// <summary>The row a write hangs on (workspace, collection, face) does not exist.</summary>
public sealed class StoreNotFoundException(string message, Exception? inner = null) : StoreException(message, inner);
