using System.Buffers.Binary;
using System.Collections;

namespace ChatPersistence.Sdk.Export.Pdf.Internal;

/// <summary>
/// Which Unicode code points a TrueType font maps to a glyph, read from its <c>cmap</c> table (OpenType spec, "cmap —
/// Character to Glyph Index Mapping Table": format 12 for the full range, format 4 for the BMP).
/// </summary>
internal sealed class GlyphCoverage
{
    private readonly BitArray _covered = new(0x110000);

    public GlyphCoverage(byte[] font)
    {
        var tables = BinaryPrimitives.ReadUInt16BigEndian(font.AsSpan(4));
        var cmap = -1;
        for (var i = 0; i < tables; i++)
        {
            var record = 12 + (16 * i);
            if (font[record] == 'c' && font[record + 1] == 'm' && font[record + 2] == 'a' && font[record + 3] == 'p')
            {
                cmap = (int)BinaryPrimitives.ReadUInt32BigEndian(font.AsSpan(record + 8));
            }
        }

        if (cmap < 0)
        {
            throw new InvalidDataException("The font has no cmap table.");
        }

        int format4 = -1, format12 = -1;
        var subtables = BinaryPrimitives.ReadUInt16BigEndian(font.AsSpan(cmap + 2));
        for (var i = 0; i < subtables; i++)
        {
            var record = cmap + 4 + (8 * i);
            var platform = BinaryPrimitives.ReadUInt16BigEndian(font.AsSpan(record));
            var encoding = BinaryPrimitives.ReadUInt16BigEndian(font.AsSpan(record + 2));
            var offset = cmap + (int)BinaryPrimitives.ReadUInt32BigEndian(font.AsSpan(record + 4));
            var format = BinaryPrimitives.ReadUInt16BigEndian(font.AsSpan(offset));
            if (platform == 3 && encoding == 10 && format == 12)
            {
                format12 = offset;
            }
            else if (platform == 3 && encoding == 1 && format == 4)
            {
                format4 = offset;
            }
        }

        if (format12 >= 0)
        {
            ReadFormat12(font, format12);
        }
        else if (format4 >= 0)
        {
            ReadFormat4(font, format4);
        }
        else
        {
            throw new InvalidDataException("The font has no Unicode cmap subtable.");
        }
    }

    public bool Covers(int codePoint) => codePoint is >= 0 and < 0x110000 && _covered[codePoint];

    private void ReadFormat12(byte[] font, int at)
    {
        var groups = BinaryPrimitives.ReadUInt32BigEndian(font.AsSpan(at + 12));
        for (var g = 0; g < groups; g++)
        {
            var group = at + 16 + (12 * g);
            var start = (int)BinaryPrimitives.ReadUInt32BigEndian(font.AsSpan(group));
            var end = (int)BinaryPrimitives.ReadUInt32BigEndian(font.AsSpan(group + 4));
            var glyph = BinaryPrimitives.ReadUInt32BigEndian(font.AsSpan(group + 8));
            for (var c = start; c <= end && c < 0x110000; c++)
            {
                if (glyph + (uint)(c - start) != 0)
                {
                    _covered[c] = true;
                }
            }
        }
    }

    private void ReadFormat4(byte[] font, int at)
    {
        var segments = BinaryPrimitives.ReadUInt16BigEndian(font.AsSpan(at + 6)) / 2;
        var ends = at + 14;
        var starts = ends + (2 * segments) + 2;
        var deltas = starts + (2 * segments);
        var rangeOffsets = deltas + (2 * segments);
        for (var s = 0; s < segments; s++)
        {
            int end = BinaryPrimitives.ReadUInt16BigEndian(font.AsSpan(ends + (2 * s)));
            int start = BinaryPrimitives.ReadUInt16BigEndian(font.AsSpan(starts + (2 * s)));
            var delta = BinaryPrimitives.ReadInt16BigEndian(font.AsSpan(deltas + (2 * s)));
            int rangeOffset = BinaryPrimitives.ReadUInt16BigEndian(font.AsSpan(rangeOffsets + (2 * s)));
            for (var c = start; c <= end && c != 0xFFFF; c++)
            {
                int glyph;
                if (rangeOffset == 0)
                {
                    glyph = (c + delta) & 0xFFFF;
                }
                else
                {
                    var address = rangeOffsets + (2 * s) + rangeOffset + (2 * (c - start));
                    glyph = BinaryPrimitives.ReadUInt16BigEndian(font.AsSpan(address));
                    glyph = glyph == 0 ? 0 : (glyph + delta) & 0xFFFF;
                }

                if (glyph != 0)
                {
                    _covered[c] = true;
                }
            }
        }
    }
}
