using System.Globalization;
using System.Text;

namespace ChatPersistence.Sdk.LoadRunner.Streaming;

/// <summary>
/// The text of the streaming mode's replies: chunk <c>i</c> of a reply is a function of the reply's id and <c>i</c> only, so
/// the writer processes and the verifier compute the same text without exchanging it. Every chunk starts with its number,
/// so a duplicated, missing or reordered chunk makes the stored text stop being a prefix of the produced text. Portuguese
/// accents, an emoji, and every 25th chunk ends with the first half of a surrogate pair that the next chunk completes.
/// </summary>
public static class StreamingText
{
    private static readonly string[] Words =
    [
        "the", "reply", "streams", "ação", "coração", "while", "it", "is", "stored", "café", "😀", "offset", "chunk",
        "exactly", "once", "in", "order", "lease", "writer", "flush", "não", "prefix", "PostgreSQL", "restart",
    ];

    /// <summary>Chunk <paramref name="index"/> of the reply <paramref name="replyId"/> (of <paramref name="count"/> chunks).</summary>
    /// <param name="replyId">The reply.</param>
    /// <param name="index">The chunk's number, from 0.</param>
    /// <param name="count">How many chunks the reply has (the last one never ends in half a pair).</param>
    /// <returns>The chunk's text (at most about 60 UTF-16 code units).</returns>
    public static string Chunk(Guid replyId, int index, int count)
    {
        var seed = (uint)BitConverter.ToInt32(replyId.ToByteArray(), 12) ^ (uint)(index * 2654435761u);
        var text = new StringBuilder();
        if (index > 0 && index % 25 == 0)
        {
            text.Append('\uDE00'); // The second half of the 😀 that chunk index - 1 ended with.
        }

        text.Append('<').Append(index.ToString(CultureInfo.InvariantCulture)).Append('>');
        for (var w = 0; w < 1 + (int)(seed % 5); w++)
        {
            seed = (seed * 1103515245u) + 12345u;
            text.Append(' ').Append(Words[(seed >> 8) % (uint)Words.Length]);
        }

        text.Append(' ');
        if ((index + 1) % 25 == 0 && index + 1 < count)
        {
            text.Append('\uD83D'); // The first half of 😀 (U+1F600); the next chunk starts with the second.
        }

        return text.ToString();
    }

    /// <summary>The whole text of a reply: its chunks concatenated.</summary>
    /// <param name="replyId">The reply.</param>
    /// <param name="count">How many chunks.</param>
    /// <returns>The text.</returns>
    public static string Full(Guid replyId, int count)
    {
        var text = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            text.Append(Chunk(replyId, i, count));
        }

        return text.ToString();
    }

    /// <summary>How many whole chunks of <paramref name="full"/> the first <paramref name="length"/> code units hold.</summary>
    /// <param name="replyId">The reply.</param>
    /// <param name="count">How many chunks the reply has.</param>
    /// <param name="length">A prefix length.</param>
    /// <returns>The number of chunks that end at or before <paramref name="length"/>.</returns>
    public static int WholeChunks(Guid replyId, int count, long length)
    {
        long end = 0;
        for (var i = 0; i < count; i++)
        {
            end += Chunk(replyId, i, count).Length;
            if (end > length)
            {
                return i;
            }
        }

        return count;
    }
}
