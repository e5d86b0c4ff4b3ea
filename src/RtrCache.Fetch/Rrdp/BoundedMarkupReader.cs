namespace RtrCache.Fetch.Rrdp;

/// <summary>
/// Bounds the size of every single piece of markup an RRDP file can contain, before XmlReader sees it. XmlReader
/// streams base64 content, but it materialises a tag with its attributes, a text node in an unexpected place, a
/// comment or a processing instruction as one string: a 2 GiB attribute value would need 4 GiB of memory even
/// though the file itself is within its size limit. This reader follows the markup with a small state machine
/// (tags with quoted attribute values, comments, CDATA, processing instructions, text) and fails as soon as one
/// piece exceeds its bound: <see cref="MaxTagChars"/> for anything between '&lt;' and '&gt;', the text bound for
/// character data (a publish element's base64 is at most 4/3 of the object size limit plus line breaks).
/// </summary>
internal sealed class BoundedMarkupReader(TextReader inner, long maxTextChars) : TextReader
{
    /// <summary>Longest tag, comment or processing instruction: a publish tag is a 2048-character URI and a hash.</summary>
    public const int MaxTagChars = 64 * 1024;

    private enum State { Text, Bang, Tag, Comment, CData, Instruction }

    private State _state = State.Text;
    private long _run;
    private char _quote;
    private char _prev1, _prev2;
    private string _bang = "";

    public override int Peek() => inner.Peek();

    public override int Read()
    {
        int c = inner.Read();
        if (c >= 0) Step((char)c);
        return c;
    }

    public override int Read(char[] buffer, int index, int count)
    {
        int n = inner.Read(buffer, index, count);
        Scan(buffer.AsSpan(index, n));
        return n;
    }

    public override int Read(Span<char> buffer)
    {
        int n = inner.Read(buffer);
        Scan(buffer[..n]);
        return n;
    }

    /// <summary>
    /// Follows a chunk: runs of plain text and of unquoted or quoted tag content are skipped with a vectorised
    /// search and counted in bulk (they are nearly all of a snapshot); the rest goes character by character.
    /// </summary>
    private void Scan(ReadOnlySpan<char> chunk)
    {
        int i = 0;
        while (i < chunk.Length)
        {
            var rest = chunk[i..];
            int skip = _state switch
            {
                State.Text => rest.IndexOf('<'),
                State.Tag when _quote == 0 => rest.IndexOfAny('"', '\'', '>'),
                State.Tag => rest.IndexOf(_quote),
                _ => 0,
            };
            if (skip != 0)
            {
                int run = skip < 0 ? rest.Length : skip;
                Count(run, _state == State.Text ? maxTextChars : MaxTagChars, _state == State.Text ? "character data" : "tag");
                if (run > 0) { _prev2 = run > 1 ? rest[run - 2] : _prev1; _prev1 = rest[run - 1]; }
                i += run;
                if (skip < 0) break;
            }
            Step(chunk[i]);
            i++;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    private void Step(char c)
    {
        switch (_state)
        {
            case State.Text:
                if (c == '<') Enter(State.Bang);
                else Count(maxTextChars, "character data");
                break;
            case State.Bang:
                // Just after '<': decide between a tag, a comment, CDATA and a processing instruction.
                if (_bang.Length == 0 && c == '?') { Enter(State.Instruction); break; }
                if (_bang.Length == 0 && c != '!') { Enter(State.Tag); TagChar(c); break; }
                _bang += c;
                if (_bang == "!--") Enter(State.Comment);
                else if (_bang == "![CDATA[") Enter(State.CData);
                else if (!"!--".StartsWith(_bang, StringComparison.Ordinal) && !"![CDATA[".StartsWith(_bang, StringComparison.Ordinal)) Enter(State.Tag);
                break;
            case State.Tag:
                TagChar(c);
                break;
            case State.Comment:
                if (c == '>' && _prev1 == '-' && _prev2 == '-') Enter(State.Text);
                else Count(MaxTagChars, "comment");
                break;
            case State.CData:
                if (c == '>' && _prev1 == ']' && _prev2 == ']') Enter(State.Text);
                else Count(maxTextChars, "CDATA section");
                break;
            case State.Instruction:
                if (c == '>' && _prev1 == '?') Enter(State.Text);
                else Count(MaxTagChars, "processing instruction");
                break;
        }
        _prev2 = _prev1;
        _prev1 = c;
    }

    private void TagChar(char c)
    {
        if (_quote == 0)
        {
            if (c is '"' or '\'') _quote = c;
            else if (c == '>') { Enter(State.Text); return; }
        }
        else if (c == _quote)
        {
            _quote = '\0';
        }
        Count(MaxTagChars, "tag");
    }

    private void Enter(State state)
    {
        _state = state;
        _run = 0;
        _quote = '\0';
        if (state == State.Bang) _bang = "";
        _prev1 = _prev2 = '\0';
    }

    private void Count(long limit, string what) => Count(1, limit, what);

    private void Count(int n, long limit, string what)
    {
        _run += n;
        if (_run > limit) throw new RrdpException($"a single {what} longer than {limit} characters");
    }
}
