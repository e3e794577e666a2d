using System.Buffers;

namespace ChatPersistence.Sdk.Internal;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> that only counts what is written: every request gets the same scratch array, whose
/// contents are never read. Measures the compact size of JSON without keeping a copy of it.
/// </summary>
internal sealed class ByteCounter : IBufferWriter<byte>
{
    private byte[] _scratch = new byte[1024];

    public long Count { get; private set; }

    public void Reset() => Count = 0;

    public void Advance(int count) => Count += count;

    public Memory<byte> GetMemory(int sizeHint = 0) => Scratch(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => Scratch(sizeHint);

    private byte[] Scratch(int sizeHint)
    {
        if (sizeHint > _scratch.Length)
        {
            _scratch = new byte[Math.Max(sizeHint, _scratch.Length * 2)];
        }

        return _scratch;
    }
}
