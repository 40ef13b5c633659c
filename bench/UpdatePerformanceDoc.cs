// Rewrites the generated tables in docs/performance.md from one ./bench/run output directory.
// Usage: dotnet run bench/UpdatePerformanceDoc.cs -- docs/performance.md bench/results/<run>
//
// A table lives between <!-- bench:NAME --> and <!-- /bench:NAME -->. NAME is a BenchmarkDotNet class
// (its GitHub-flavoured report in bdn/results), "machine" (machine.md), "propagation" (propagation.md), "relay-lag" (relay-lag.md), "cache-memory" (cache-memory.md), "relay-backlog" (relay-backlog.md)
// or "http" (http.md). Markers whose output is missing from the run are left as they were, so a run
// with a filter updates only what it ran.
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: dotnet run bench/UpdatePerformanceDoc.cs -- <performance.md> <run directory>");
    return 2;
}

var (docPath, runDirectory) = (args[0], args[1]);
var document = File.ReadAllText(docPath);
var updated = new List<string>();
var result = Regex.Replace(
    document,
    @"(?<open><!-- bench:(?<name>[A-Za-z0-9]+) -->\n)(?<body>.*?)(?<close><!-- /bench:\k<name> -->)",
    match =>
    {
        var name = match.Groups["name"].Value;
        var table = TableFor(name);
        if (table is null)
        {
            return match.Value;
        }

        updated.Add(name);
        return match.Groups["open"].Value + table + match.Groups["close"].Value;
    },
    RegexOptions.Singleline);

File.WriteAllText(docPath, result);
Console.WriteLine(updated.Count == 0 ? "No table updated." : $"Updated: {string.Join(", ", updated)}");
return 0;

string? TableFor(string name)
{
    switch (name)
    {
        case "machine":
            return Read("machine.md");
        case "propagation":
        case "relay-lag":
        case "cache-memory":
        case "relay-backlog":
        case "http":
            return Read(name + ".md") is { } text ? TableLines(text, keep: line => line.StartsWith("consent vs authz", StringComparison.Ordinal)) : null;
        default:
            var reports = Path.Combine(runDirectory, "bdn", "results");
            var report = Directory.Exists(reports)
                ? Directory.GetFiles(reports, $"*.{name}-report-github.md").FirstOrDefault()
                : null;
            return report is null ? null : TableLines(File.ReadAllText(report), keep: _ => false);
    }
}

string? Read(string file)
{
    var path = Path.Combine(runDirectory, file);
    return File.Exists(path) ? File.ReadAllText(path).TrimEnd() + "\n" : null;
}

// The Markdown table of a report (and any line `keep` asks for), without BenchmarkDotNet's environment
// block: the machine is described once, at the top of the page. The GitHub exporter writes method names
// HTML-escaped ('&#39;', '&lt;'); the page shows them as written.
static string TableLines(string text, Func<string, bool> keep)
{
    var lines = new StringBuilder();
    foreach (var line in text.Split('\n'))
    {
        var trimmed = line.TrimEnd('\r');
        if (trimmed.StartsWith('|') || keep(trimmed))
        {
            lines.Append(WebUtility.HtmlDecode(trimmed)).Append('\n');
        }
    }

    return lines.ToString();
}
