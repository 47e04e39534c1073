using System.Text;

namespace Ffn.Host.Config;

/// <summary>
/// Checks the structure of a --config file before Akka.Configuration parses it, and names the line and column of the
/// first problem. Akka 1.5's parser loops forever, allocating, on a list holding something that cannot start a value
/// (<c>a = [1</c> followed by <c>b = 2</c>), and a looping thread cannot be stopped; it also drops everything after a
/// stray '}' and reads a missing value as null. This scanner follows the grammar Akka reads (comments, quoted and
/// """ strings, ${path}, nested {} and []) and accepts only what it reads correctly: no <c>+=</c>, <c>${?path}</c> or include.
/// </summary>
public sealed class HoconSyntax
{
    // Akka's HoconTokenizer ends unquoted text at these characters; keys also end at '.'.
    private const string NotInUnquoted = "$\"{}[]:=,#`^?!@*&\\";
    private const int MaxDepth = 100;

    private readonly string _text;
    private int _pos;

    private HoconSyntax(string text) => _text = text;

    /// <summary>The first problem (1-based line and column) or null when Akka can read the text as written.</summary>
    public static (int Line, int Column, string Message)? FirstError(string text)
    {
        var s = new HoconSyntax(text);
        try
        {
            s.Document();
            return null;
        }
        catch (Problem p)
        {
            var (line, column) = s.Where(p.At);
            return (line, column, p.Message);
        }
    }

    private sealed class Problem(int at, string message) : Exception(message)
    {
        public int At { get; } = at;
    }

    private bool Eof => _pos >= _text.Length;
    private char Peek(int ahead = 0) => _pos + ahead < _text.Length ? _text[_pos + ahead] : '\0';
    private bool AtComment => Peek() == '#' || (Peek() == '/' && Peek(1) == '/');
    private bool AtLineEnd => Eof || Peek() is '\n' or '\r' || AtComment;
    private bool AtUnquoted => !Eof && !char.IsWhiteSpace(Peek()) && !NotInUnquoted.Contains(Peek()) && !AtComment;
    private bool AtKeyChar => AtUnquoted && Peek() != '.' && !(Peek() == '+' && Peek(1) == '=');
    private bool AtValue => Peek() is '"' or '{' or '[' || (Peek() == '$' && Peek(1) == '{') || AtUnquoted;

    private void Document()
    {
        for (int i = 0; i < _text.Length; i++)
            if (char.IsControl(_text[i]) && !char.IsWhiteSpace(_text[i]))
                throw new Problem(i, $"control character U+{(int)_text[i]:X4}: not a HOCON text file");
        SkipBlank();
        if (Peek() != '{')
        {
            Members(-1, 0);
            return;
        }
        // The braces around the whole file are optional in HOCON.
        Members(_pos++, 1);
        SkipBlank();
        if (!Eof) throw new Problem(_pos, $"{Show()} after the '}}' that closes the file");
    }

    /// <summary>Key-value pairs up to the '}' that matches <paramref name="open"/> (-1: up to the end of the file).</summary>
    private void Members(int open, int depth)
    {
        if (depth > MaxDepth) throw new Problem(open, $"nested more than {MaxDepth} levels deep");
        while (true)
        {
            SkipBlank();
            if (Eof)
            {
                if (open >= 0) throw new Problem(open, "'{' is never closed (no matching '}')");
                return;
            }
            if (Peek() == '}')
            {
                if (open < 0) throw new Problem(_pos, "'}' with no '{' to close");
                _pos++;
                return;
            }
            Member(depth);
        }
    }

    private void Member(int depth)
    {
        int keyStart = _pos;
        var key = Key();
        SkipSpaces();
        if (key == "include" && Peek() == '"') throw new Problem(keyStart, "include is not supported: put the settings in this file");
        int afterKey = _pos;
        // A section's '{' may start the next line, as Akka reads it.
        SkipBlank();
        if (Peek() != '{') _pos = afterKey;
        if (Peek() == '{')
        {
            Members(_pos++, depth + 1);
            return;
        }
        if (Peek() == '+' && Peek(1) == '=') throw new Problem(_pos, $"'+=' (after {key}) is not supported: write the whole value");
        if (Peek() is not ('=' or ':'))
            throw new Problem(_pos, AtLineEnd ? $"{key} has no value (expected '=', ':' or '{{' after it)" : $"expected '=', ':' or '{{' after {key}, found {Show()}");
        int separator = _pos++;
        SkipBlank();
        if (Eof) throw new Problem(separator, $"no value after '{_text[separator]}'");
        if (!AtValue) throw new Problem(_pos, $"expected a value after '{_text[separator]}', found {Show()}");
        Value(-1, depth);
        if (Peek() == ',') _pos++;
    }

    /// <summary>A dotted key; its parts are unquoted text (spaces inside allowed, as in HOCON) or quoted strings.</summary>
    private string Key()
    {
        var key = new StringBuilder();
        while (true)
        {
            int start = _pos;
            if (Peek() == '"')
            {
                if (Peek(1) == '"' && Peek(2) == '"') throw new Problem(_pos, "a key cannot be a \"\"\" string");
                Quoted();
            }
            else if (AtKeyChar)
            {
                while (AtKeyChar || (Peek() is ' ' or '\t')) _pos++;
            }
            else throw new Problem(_pos, key.Length == 0 ? $"expected a key, found {Show()}" : $"expected a key after '.', found {Show()}");
            key.Append(_text.AsSpan(start, _pos - start).TrimEnd());
            if (Peek() != '.') return key.ToString();
            key.Append('.');
            _pos++;
        }
    }

    /// <summary>
    /// One value, possibly a concatenation on one line (<c>${dir}/x</c>); it must end the line, or be followed by
    /// ',' or the '}' (or, in the list opened at <paramref name="list"/>, the ']') that closes what holds it.
    /// </summary>
    private void Value(int list, int depth)
    {
        do
        {
            Piece(depth);
            SkipSpaces();
        } while (AtValue);
        if (AtLineEnd || Peek() == ',') return;
        if (list >= 0 && Peek() == ']') return;
        if (list < 0 && Peek() == '}') return;
        throw Unexpected(list);
    }

    private void Piece(int depth)
    {
        if (Peek() == '"')
        {
            if (Peek(1) == '"' && Peek(2) == '"') TripleQuoted();
            else Quoted();
        }
        else if (Peek() == '{') Members(_pos++, depth + 1);
        else if (Peek() == '[') List(depth + 1);
        else if (Peek() == '$') Substitution();
        else while (AtUnquoted) _pos++;
    }

    private void List(int depth)
    {
        int open = _pos++;
        if (depth > MaxDepth) throw new Problem(open, $"nested more than {MaxDepth} levels deep");
        while (true)
        {
            SkipBlank();
            if (Eof) throw new Problem(open, "'[' is never closed (no matching ']')");
            if (Peek() == ']')
            {
                _pos++;
                return;
            }
            if (!AtValue) throw Unexpected(open);
            Value(open, depth);
            if (Peek() == ',') _pos++;
        }
    }

    private Problem Unexpected(int list)
    {
        if (list < 0)
            return new Problem(_pos, Peek() == ']' ? "']' with no '[' to close" : $"unexpected {Show()} after a value (quote a value that contains it, or end the value with a new line or ',')");
        var (line, column) = Where(list);
        return new Problem(_pos, Peek() == ','
            ? $"empty element in the list opened at {line}:{column}"
            : $"{Show()} inside the list opened at {line}:{column} (is a ']' missing?)");
    }

    private void Quoted()
    {
        int open = _pos++;
        while (true)
        {
            if (Eof || Peek() is '\n' or '\r') throw new Problem(open, "string is never closed (no '\"' before the end of the line)");
            char c = _text[_pos++];
            if (c == '"') return;
            if (c == '\\') Escape();
        }
    }

    private void TripleQuoted()
    {
        int open = _pos;
        _pos += 3;
        while (true)
        {
            if (Eof) throw new Problem(open, "\"\"\" string is never closed");
            if (Peek() == '"' && Peek(1) == '"' && Peek(2) == '"')
            {
                _pos += 3;
                return;
            }
            // Akka reads escapes in """ strings too.
            if (_text[_pos++] == '\\') Escape();
        }
    }

    /// <summary>The character after a backslash: the escapes Akka knows (it throws on any other).</summary>
    private void Escape()
    {
        if (Eof || Peek() is '\n' or '\r') return;
        if ("\"\\/bfnrt".Contains(Peek()))
        {
            _pos++;
            return;
        }
        if (Peek() == 'u' && _pos + 4 < _text.Length && _text.Substring(_pos + 1, 4).All(char.IsAsciiHexDigit))
        {
            _pos += 5;
            return;
        }
        throw new Problem(_pos - 1, $"unknown escape \\{Peek()} in a string (write \\\\ for a backslash)");
    }

    private void Substitution()
    {
        int open = _pos;
        _pos += 2;
        if (Peek() == '?') throw new Problem(open, "optional substitutions ${?...} are not supported: write ${path}");
        int start = _pos;
        while (AtUnquoted) _pos++;
        if (_pos == start || Peek() != '}') throw new Problem(open, "'${' is not closed: expected a path and '}'");
        _pos++;
    }

    /// <summary>Whitespace, new lines and comments.</summary>
    private void SkipBlank()
    {
        while (true)
        {
            if (AtComment)
                while (!Eof && Peek() != '\n') _pos++;
            else if (!Eof && char.IsWhiteSpace(Peek())) _pos++;
            else return;
        }
    }

    private void SkipSpaces()
    {
        while (!Eof && Peek() is not ('\n' or '\r') && char.IsWhiteSpace(Peek())) _pos++;
    }

    private string Show() => Eof ? "the end of the file" : char.IsWhiteSpace(Peek()) || char.IsControl(Peek()) ? $"U+{(int)Peek():X4}" : $"'{Peek()}'";

    private (int Line, int Column) Where(int at)
    {
        int line = 1, lineStart = 0;
        for (int i = 0; i < at && i < _text.Length; i++)
            if (_text[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        return (line, at - lineStart + 1);
    }
}
