using Akka.Configuration;
using Ffn.Host.Config;

namespace Ffn.Tests.Host;

/// <summary>The structure check in front of Akka's HOCON parser: what it lets through, Akka reads; the rest has a place.</summary>
public class HoconSyntaxTests
{
    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n// and another")]
    [InlineData("{ a = 1 }")]
    [InlineData("a = 1, b : \"two\"\nc { d.e = [1, [2, 3], { f = 4 }] }")]
    [InlineData("a = [\n  1 # one\n  2,\n]\n")]
    [InlineData("a = \"\"\"x\n\"y\" \\u0041\"\"\"")]
    [InlineData("a = \"tab\\tquote\\\" slash\\/ u\\u00e9\"")]
    [InlineData("dir = /data\nfile = ${dir}/x.h5")]
    [InlineData("\"a.b\".c = 1\r\nd = 10s\r\n")]
    [InlineData("a = {}\nb = []\nc = null")]
    public void WellFormedTextPassesAndAkkaReadsIt(string text)
    {
        Assert.Null(HoconSyntax.FirstError(text));
        Assert.NotNull(ConfigurationFactory.ParseString(text));
    }

    [Theory]
    [InlineData("a = [1\nb = 2", 2, 3, "'=' inside the list opened at 1:5 (is a ']' missing?)")]
    [InlineData("a = [1,,2]", 1, 8, "empty element in the list opened at 1:5")]
    [InlineData("a = [1\n, 2]", 2, 1, "empty element in the list opened at 1:5")]
    [InlineData("a = 1]", 1, 6, "']' with no '[' to close")]
    [InlineData("a = 1 b = 2", 1, 9, "unexpected '=' after a value (quote a value that contains it, or end the value with a new line or ',')")]
    [InlineData("a = http://x", 1, 9, "unexpected ':' after a value (quote a value that contains it, or end the value with a new line or ',')")]
    [InlineData("a =\n", 1, 3, "no value after '='")]
    [InlineData("a\nb = 1", 1, 2, "a has no value (expected '=', ':' or '{' after it)")]
    [InlineData("a b 1 = 2 }", 1, 11, "'}' with no '{' to close")]
    [InlineData("a.\n", 1, 3, "expected a key after '.', found U+000A")]
    [InlineData("= 1", 1, 1, "expected a key, found '='")]
    [InlineData("a += 1", 1, 3, "'+=' (after a) is not supported: write the whole value")]
    [InlineData("a = 1\n  include \"other.conf\"", 2, 3, "include is not supported: put the settings in this file")]
    [InlineData("a = ${?b}", 1, 5, "optional substitutions ${?...} are not supported: write ${path}")]
    [InlineData("a = ${ b }", 1, 5, "'${' is not closed: expected a path and '}'")]
    [InlineData("a = \"x\\d\"", 1, 7, "unknown escape \\d in a string (write \\\\ for a backslash)")]
    [InlineData("a = \"\"\"x", 1, 5, "\"\"\" string is never closed")]
    [InlineData("\"\"\"a\"\"\" = 1", 1, 1, "a key cannot be a \"\"\" string")]
    [InlineData("{ a = 1 } b = 2", 1, 11, "'b' after the '}' that closes the file")]
    [InlineData("a = 1\n\u0007", 2, 1, "control character U+0007: not a HOCON text file")]
    public void MalformedTextHasItsPlace(string text, int line, int column, string message)
    {
        Assert.Equal((line, column, message), HoconSyntax.FirstError(text));
    }

    /// <summary>Deep nesting is refused before it can overflow the stack (here or in Akka's recursive parser).</summary>
    [Fact]
    public void DeepNestingIsRefused()
    {
        Assert.Equal((1, 105, "nested more than 100 levels deep"), HoconSyntax.FirstError("a = " + new string('[', 100_000)));
        Assert.Null(HoconSyntax.FirstError("a = " + new string('[', 100) + new string(']', 100)));
    }
}
