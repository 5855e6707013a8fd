using Tether.Native;

namespace Tether;

/// <summary>
/// A failure reported by tether: a refused call (bad option, bad URL, full queue...) or a failure
/// of the connection (auth refused, gave up reconnecting, send failed).
/// </summary>
/// <remarks><see cref="Exception.Message"/> is tether's own text, which names the problem (the
/// option key, the part of the URL, the state); it never contains an authentication token.</remarks>
public sealed class TetherException : Exception
{
    /// <summary>Creates an exception for a status and tether's message.</summary>
    /// <param name="status">The status code.</param>
    /// <param name="message">What went wrong; when empty, the status's own text is used.</param>
    public TetherException(TetherStatus status, string? message)
        : base(string.IsNullOrEmpty(message) ? StatusText(status) : message)
    {
        Status = status;
        HResult = (int)status;
    }

    /// <summary>Creates an exception for a status, tether's message and the server's error.</summary>
    /// <param name="status">The status code, normally <see cref="TetherStatus.Remote"/>.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="remoteError">The error the server sent, as JSON text.</param>
    public TetherException(TetherStatus status, string? message, string? remoteError)
        : this(status, message) => RemoteError = remoteError;

    /// <summary>For <see cref="TetherStatus.Remote"/> from a request or a subscription: the error
    /// the server answered with, as JSON text (e.g. <c>{"code":400,"message":"..."}</c>); otherwise null.</summary>
    public string? RemoteError { get; }

    /// <summary>The status code, as tether.h numbers it.</summary>
    public TetherStatus Status { get; }

    /// <summary>The symbolic name of <see cref="Status"/>, e.g. <c>TETHER_E_QUEUE_FULL</c>.</summary>
    public string StatusName => NativeMethods.Text(NativeMethods.StatusName((int)Status));

    /// <inheritdoc />
    public override string ToString() => $"{GetType().FullName} ({StatusName}): {Message}{Environment.NewLine}{StackTrace}";

    /// <summary>tether's short English text for a status ("queue full").</summary>
    /// <param name="status">Any status; unknown codes give "unknown status".</param>
    public static string StatusText(TetherStatus status) => NativeMethods.Text(NativeMethods.StatusStr((int)status));

    /// <summary>Throws for a failed call. Must run on the thread that made the call, right after
    /// it: the detail is tether's thread-local last error.</summary>
    internal static void ThrowIfFailed(int status)
    {
        if (status != 0) throw FromLastError(status);
    }

    internal static TetherException FromLastError(int status) =>
        new((TetherStatus)status, NativeMethods.Text(NativeMethods.LastErrorMessage()));
}
