using System.Reflection;
using System.Runtime.InteropServices;

namespace Tether.Native;

/// <summary>The C ABI of tether.h, one declaration per function, nothing more.</summary>
/// <remarks>
/// Strings that the library owns (static text, borrowed event text) come back as pointers and are
/// copied with <see cref="Marshal.PtrToStringUTF8(nint)"/>: a <c>string</c> return would make the
/// marshaller free memory that is not ours. Strings the library allocates for us come back as
/// <c>out nint</c> and are released with <see cref="Free"/>.
/// </remarks>
internal static unsafe partial class NativeMethods
{
    internal const string Library = "tether";

    // Event and message constants of tether.h.
    internal const int EventReady = 0, EventOpen = 1, EventMessage = 2, EventClose = 3, EventError = 4,
        EventStateChange = 5, EventReconnect = 6, EventSent = 7, EventSendFailed = 8, EventDrained = 9,
        EventChannelMessage = 10, EventResponse = 11, EventSubscribed = 12, EventSubscribeFailed = 13;
    internal const int ModeCallback = 0, ModePoll = 1;

    static NativeMethods()
    {
        // A system install may hold only the runtime name libtether.so.0 (no -dev symlink).
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(NativeMethods).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // The application registered its own resolver for this assembly: it decides.
        }
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library) return 0;
        if (NativeLibrary.TryLoad(name, assembly, searchPath, out nint handle)) return handle;
        return NativeLibrary.TryLoad("libtether.so.0", assembly, searchPath, out handle) ? handle : 0;
    }

    [LibraryImport(Library, EntryPoint = "tether_version")]
    internal static partial nint Version();

    [LibraryImport(Library, EntryPoint = "tether_status_str")]
    internal static partial nint StatusStr(int status);

    [LibraryImport(Library, EntryPoint = "tether_status_name")]
    internal static partial nint StatusName(int status);

    [LibraryImport(Library, EntryPoint = "tether_last_error_message")]
    internal static partial nint LastErrorMessage();

    [LibraryImport(Library, EntryPoint = "tether_free")]
    internal static partial void Free(nint ptr);

    // ---- runtime
    [LibraryImport(Library, EntryPoint = "tether_runtime_new")]
    internal static partial int RuntimeNew(out RuntimeHandle runtime, int threads);

    [LibraryImport(Library, EntryPoint = "tether_runtime_destroy")]
    internal static partial void RuntimeDestroy(nint runtime);

    // ---- options
    [LibraryImport(Library, EntryPoint = "tether_options_new")]
    internal static partial int OptionsNew(out OptionsHandle options);

    [LibraryImport(Library, EntryPoint = "tether_options_destroy")]
    internal static partial void OptionsDestroy(nint options);

    [LibraryImport(Library, EntryPoint = "tether_options_set", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int OptionsSet(OptionsHandle options, string key, string value);

    [LibraryImport(Library, EntryPoint = "tether_options_set_json", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int OptionsSetJson(OptionsHandle options, string json);

    [LibraryImport(Library, EntryPoint = "tether_options_get", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int OptionsGet(out nint value, OptionsHandle options, string key);

    [LibraryImport(Library, EntryPoint = "tether_options_schema_json")]
    internal static partial nint OptionsSchemaJson();

    // ---- events (borrowed pointers, valid during the callback only)
    [LibraryImport(Library, EntryPoint = "tether_event_type")]
    internal static partial int EventType(nint ev);

    [LibraryImport(Library, EntryPoint = "tether_event_data")]
    internal static partial byte* EventData(nint ev, out nuint size);

    [LibraryImport(Library, EntryPoint = "tether_event_message_type")]
    internal static partial int EventMessageType(nint ev);

    [LibraryImport(Library, EntryPoint = "tether_event_text")]
    internal static partial nint EventText(nint ev);

    [LibraryImport(Library, EntryPoint = "tether_event_code")]
    internal static partial int EventCode(nint ev);

    [LibraryImport(Library, EntryPoint = "tether_event_was_clean")]
    internal static partial int EventWasClean(nint ev);

    [LibraryImport(Library, EntryPoint = "tether_event_status")]
    internal static partial int EventStatus(nint ev);

    [LibraryImport(Library, EntryPoint = "tether_event_state")]
    internal static partial int EventState(nint ev);

    [LibraryImport(Library, EntryPoint = "tether_event_previous_state")]
    internal static partial int EventPreviousState(nint ev);

    [LibraryImport(Library, EntryPoint = "tether_event_attempt")]
    internal static partial int EventAttempt(nint ev);

    [LibraryImport(Library, EntryPoint = "tether_event_delay_ms")]
    internal static partial long EventDelayMs(nint ev);

    [LibraryImport(Library, EntryPoint = "tether_event_id")]
    internal static partial ulong EventId(nint ev);

    [LibraryImport(Library, EntryPoint = "tether_event_channel")]
    internal static partial nint EventChannel(nint ev);

    [LibraryImport(Library, EntryPoint = "tether_state_str")]
    internal static partial nint StateStr(int state);

    // ---- client
    [LibraryImport(Library, EntryPoint = "tether_client_new")]
    internal static partial int ClientNew(out ClientHandle client, nint runtime, OptionsHandle options,
        int mode, delegate* unmanaged<nint, nint, void> onEvent, delegate* unmanaged<nint, void> release,
        nint userData);

    [LibraryImport(Library, EntryPoint = "tether_client_destroy")]
    internal static partial void ClientDestroy(nint client);

    [LibraryImport(Library, EntryPoint = "tether_client_connect")]
    internal static partial int ClientConnect(ClientHandle client);

    [LibraryImport(Library, EntryPoint = "tether_client_send")]
    internal static partial int ClientSend(ClientHandle client, int type, byte* data, nuint size, ulong id);

    [LibraryImport(Library, EntryPoint = "tether_client_close", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ClientClose(ClientHandle client, int code, string? reason);

    [LibraryImport(Library, EntryPoint = "tether_client_set_token", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ClientSetToken(ClientHandle client, string? token);

    [LibraryImport(Library, EntryPoint = "tether_client_state")]
    internal static partial int ClientState(out int state, ClientHandle client);

    [LibraryImport(Library, EntryPoint = "tether_client_buffered")]
    internal static partial int ClientBuffered(out ulong messages, out ulong bytes, ClientHandle client);

    [LibraryImport(Library, EntryPoint = "tether_client_stats_json")]
    internal static partial int ClientStatsJson(out nint json, ClientHandle client);

    // ---- connection manager (JSON arguments are NUL-terminated UTF-8 bytes, or null)
    [LibraryImport(Library, EntryPoint = "tether_client_subscribe", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ClientSubscribe(out ulong subscription, ClientHandle client, string channel, byte* paramsJson);

    [LibraryImport(Library, EntryPoint = "tether_client_unsubscribe")]
    internal static partial int ClientUnsubscribe(ClientHandle client, ulong subscription);

    [LibraryImport(Library, EntryPoint = "tether_client_publish", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ClientPublish(ClientHandle client, string channel, byte* payloadJson, ulong id);

    [LibraryImport(Library, EntryPoint = "tether_client_request", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ClientRequest(ClientHandle client, string method, byte* paramsJson, int timeoutMs, ulong id);

    // ---- message utilities
    [LibraryImport(Library, EntryPoint = "tether_message_create", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MessageCreate(out nint json, string type, string? payloadJson, string? id);

    [LibraryImport(Library, EntryPoint = "tether_message_parse")]
    internal static partial int MessageParse(out nint json, byte* data, nuint size);

    [LibraryImport(Library, EntryPoint = "tether_close_code_str")]
    internal static partial nint CloseCodeStr(int code);

    /// <summary>Copies a NUL-terminated UTF-8 string that the library keeps.</summary>
    internal static string Text(nint utf8) => Marshal.PtrToStringUTF8(utf8) ?? string.Empty;

    /// <summary>Copies and frees a string that the library allocated for the caller.</summary>
    internal static string TakeText(nint utf8)
    {
        try
        {
            return Text(utf8);
        }
        finally
        {
            Free(utf8);
        }
    }
}
