using System.Text.Json;

namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>
/// Writes a request's JSON body (the function's named arguments) into a pooled array with a writer reused per thread: a body
/// is written synchronously between <see cref="Begin"/> and <see cref="End"/>, so the thread's writer is never shared. The
/// array then belongs to the call, which returns it when its last attempt is over.
/// </summary>
internal static class RequestJson
{
    private const int InitialCapacity = 1024;

    [ThreadStatic]
    private static PooledBufferWriter? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>Starts a body and writes its opening brace.</summary>
    public static Utf8JsonWriter Begin()
    {
        var buffer = t_buffer ??= new PooledBufferWriter();
        buffer.Reset(InitialCapacity);
        var writer = t_writer;
        if (writer is null)
        {
            t_writer = writer = new Utf8JsonWriter(buffer);
        }
        else
        {
            writer.Reset(buffer);
        }

        writer.WriteStartObject();
        return writer;
    }

    /// <summary>Closes the body begun on this thread and hands its bytes to the caller.</summary>
    public static RentedBytes End(Utf8JsonWriter writer)
    {
        writer.WriteEndObject();
        writer.Flush();
        return t_buffer!.Detach();
    }
}
