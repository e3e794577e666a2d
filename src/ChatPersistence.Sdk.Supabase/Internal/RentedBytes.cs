using System.Buffers;

namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>Bytes at the start of an array rented from <see cref="ArrayPool{T}.Shared"/>; <see cref="Return"/> gives the array back.</summary>
/// <param name="Array">The rented array (empty, or null in the default value, when nothing was rented).</param>
/// <param name="Length">How many bytes at its start are in use.</param>
internal readonly record struct RentedBytes(byte[] Array, int Length)
{
    public ReadOnlyMemory<byte> Memory => Array.AsMemory(0, Length);

    public ReadOnlySpan<byte> Span => Array.AsSpan(0, Length);

    public void Return()
    {
        if (Array is { Length: > 0 })
        {
            ArrayPool<byte>.Shared.Return(Array);
        }
    }
}
