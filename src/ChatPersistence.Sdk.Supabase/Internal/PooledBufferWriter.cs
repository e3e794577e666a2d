using System.Buffers;

namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over arrays rented from <see cref="ArrayPool{T}.Shared"/>. <see cref="Detach"/> hands the
/// written bytes (and the duty to return the array) to the caller, so one instance can be reused for the next body.
/// </summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>
{
    private byte[] _buffer = [];
    private int _written;

    /// <summary>Starts a new body, keeping an array still held from an earlier body that was never detached.</summary>
    public void Reset(int initialCapacity)
    {
        _written = 0;
        if (_buffer.Length < initialCapacity)
        {
            Return();
            _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
        }
    }

    /// <summary>The written bytes; the caller returns <see cref="RentedBytes.Array"/> to the pool when done with them.</summary>
    public RentedBytes Detach()
    {
        var bytes = new RentedBytes(_buffer, _written);
        _buffer = [];
        _written = 0;
        return bytes;
    }

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Return()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = [];
    }

    private void Ensure(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
        _buffer.AsSpan(0, _written).CopyTo(larger);
        Return();
        _buffer = larger;
    }
}
