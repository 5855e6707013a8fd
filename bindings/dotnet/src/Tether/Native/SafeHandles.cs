using Microsoft.Win32.SafeHandles;

namespace Tether.Native;

/// <summary>Owns a <c>tether_client*</c>; releasing it is <c>tether_client_destroy</c>, which never
/// blocks and is safe on the finalizer thread and on tether's I/O thread.</summary>
internal sealed class ClientHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public ClientHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle()
    {
        NativeMethods.ClientDestroy(handle);
        return true;
    }
}

/// <summary>Owns a <c>tether_options*</c>.</summary>
internal sealed class OptionsHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public OptionsHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle()
    {
        NativeMethods.OptionsDestroy(handle);
        return true;
    }
}

/// <summary>Owns a reference to a <c>tether_runtime*</c>; clients made on it keep it running.</summary>
internal sealed class RuntimeHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public RuntimeHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle()
    {
        NativeMethods.RuntimeDestroy(handle);
        return true;
    }
}
