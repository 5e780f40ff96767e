using System.Text;
using Visage.Cli.Commands;

namespace Visage.Cli.Operations;

/// <summary>RFC 4180 fields: metadata JSON holds commas and quotes, so both directions quote properly.</summary>
public static class Csv
{
    /// <summary>The records of a CSV text; a quoted field may span lines.</summary>
    public static IEnumerable<(int Line, List<string> Fields)> Read(TextReader reader)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false, any = false;
        int line = 1, startLine = 1, c;
        while ((c = reader.Read()) >= 0)
        {
            char ch = (char)c;
            if (quoted)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"') { reader.Read(); field.Append('"'); }
                    else quoted = false;
                }
                else { if (ch == '\n') line++; field.Append(ch); }
                continue;
            }
            switch (ch)
            {
                case '"': quoted = true; any = true; break;
                case ',': fields.Add(field.ToString()); field.Clear(); any = true; break;
                case '\r': break;
                case '\n':
                    if (any || field.Length > 0) { fields.Add(field.ToString()); yield return (startLine, fields); fields = new List<string>(); }
                    field.Clear(); any = false; line++; startLine = line;
                    break;
                default: field.Append(ch); any = true; break;
            }
        }
        if (quoted) throw new UsageException($"CSV line {startLine}: unterminated quoted field");
        if (any || field.Length > 0) { fields.Add(field.ToString()); yield return (startLine, fields); }
    }

    public static void WriteRow(TextWriter writer, params ReadOnlySpan<string?> fields)
    {
        for (int i = 0; i < fields.Length; i++)
        {
            if (i > 0) writer.Write(',');
            var f = fields[i] ?? "";
            if (f.AsSpan().IndexOfAny(",\"\r\n") >= 0) writer.Write('"' + f.Replace("\"", "\"\"") + '"');
            else writer.Write(f);
        }
        writer.Write('\n');
    }
}
