namespace Visage.Storage;

/// <summary>Wakes an instance when another one committed a change, so it can call
/// <see cref="IFaceStore.GetChangesSinceAsync"/> at once instead of polling blindly. A wake-up carries the
/// newest known change sequence; wake-ups may be coalesced or repeated, never lost for good (after a
/// reconnect the current latest sequence is delivered, so missed notifications are caught up).</summary>
public interface IChangeNotifications
{
    IAsyncEnumerable<long> ListenAsync(CancellationToken ct = default);

    /// <summary>False while a listener is reconnecting (server notifications): changes made then arrive only once it is
    /// back. Stores that poll are always listening.</summary>
    bool IsListening => true;
}
