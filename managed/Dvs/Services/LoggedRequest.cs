namespace Dvs.Services;

/// <summary>A request executed after a pre-copy snapshot: replayed on the migration's target.</summary>
internal readonly record struct LoggedRequest(int Client, ulong Incarnation, int Sequence, Message Request);
