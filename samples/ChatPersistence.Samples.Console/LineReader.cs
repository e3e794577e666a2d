using System.Text;

namespace ChatPersistence.Samples.Console;

/// <summary>
/// Reads input lines and tells a finished line (ended by Enter) from a half-typed one cut off by the end of input (Ctrl-D
/// on a line with text, or a file whose last line has no newline), so the chat never sends what the user did not confirm.
/// </summary>
internal sealed class LineReader(TextReader input)
{
    private readonly char[] _buffer = new char[4096];
    private int _start;
    private int _end;

    /// <summary>The next line without its terminator, whether Enter ended it, or <see langword="null"/> at the end of input.</summary>
    public async Task<(string Text, bool Complete)?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        while (true)
        {
            if (_start == _end)
            {
                _end = await input.ReadAsync(_buffer.AsMemory(), cancellationToken);
                _start = 0;
                if (_end == 0)
                {
                    return line.Length == 0 ? null : (line.ToString(), false);
                }
            }

            var newline = Array.IndexOf(_buffer, '\n', _start, _end - _start);
            if (newline < 0)
            {
                line.Append(_buffer, _start, _end - _start);
                _start = _end;
                continue;
            }

            line.Append(_buffer, _start, newline - _start);
            _start = newline + 1;
            if (line.Length > 0 && line[^1] == '\r')
            {
                line.Length--;
            }

            return (line.ToString(), true);
        }
    }
}
