// Builds a generative-AI training set from members' posts, taking only the posts of members who opted in,
// records the run in the data-use ledger, and shows which training sets a later withdrawal affects.
using System.CommandLine;
using ConsentKit.Samples.TrainingExport;

var database = new Option<FileInfo>("--db") { Description = "The SQLite consent database (created and seeded when new).", DefaultValueFactory = _ => new FileInfo("training-export.db") };
var output = new Option<FileInfo>("--out") { Description = "The JSONL training set to write.", DefaultValueFactory = _ => new FileInfo("genai-training-set.jsonl") };
var people = new Option<int>("--people") { Description = "How many members to seed in a new database.", DefaultValueFactory = _ => 3_000 };
var postsPerPerson = new Option<int>("--posts-per-person") { Description = "How many posts each member wrote.", DefaultValueFactory = _ => 5 };
var noLedger = new Option<bool>("--no-ledger") { Description = "Do not record the run in the data-use ledger." };

var root = new RootCommand("Export the posts allowed for ai-training.generative to a JSONL training set.")
{
    database, output, people, postsPerPerson, noLedger,
};
root.SetAction((parse, cancellationToken) => TrainingExportJob.RunAsync(
    new TrainingExportSettings(
        parse.GetValue(database)!.FullName,
        parse.GetValue(output)!.FullName,
        parse.GetValue(people),
        parse.GetValue(postsPerPerson),
        RecordDataUse: !parse.GetValue(noLedger)),
    Console.Out,
    cancellationToken));

return await root.Parse(args).InvokeAsync();
