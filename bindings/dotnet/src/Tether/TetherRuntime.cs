using Tether.Native;

namespace Tether;

/// <summary>
/// A set of tether I/O threads that serves many clients. Clients made without one share a default
/// runtime with one I/O thread, which is right for most programs.
/// </summary>
/// <remarks>Disposing the runtime drops this reference only: clients made on it keep its threads
/// running until they are disposed.</remarks>
public sealed class TetherRuntime : IDisposable
{
    /// <summary>Starts a runtime.</summary>
    /// <param name="threads">Number of I/O threads, 1 to 64.</param>
    /// <exception cref="TetherException"><paramref name="threads"/> is out of range.</exception>
    public TetherRuntime(int threads)
    {
        TetherException.ThrowIfFailed(NativeMethods.RuntimeNew(out RuntimeHandle handle, threads));
        Handle = handle;
    }

    internal RuntimeHandle Handle { get; }

    /// <summary>Drops this reference to the runtime. Never blocks.</summary>
    public void Dispose() => Handle.Dispose();
}
