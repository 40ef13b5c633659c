// Builds a generative-AI training set from members' posts, taking only the posts of members who opted in,
// records the run in the data-use ledger, and shows which training sets a later withdrawal affects.
using System.CommandLine;
using ConsentKit.Samples.TrainingExport;

var database = new Option<FileInfo>("--db") { Description = "The SQLite consent database (created and seeded when new).", DefaultValueFactory = _ => new FileInfo("training-export.db") };
var output = new Option<FileInfo>("--out") { Description = "The JSONL training set to write.", DefaultValueFactory = _ => new FileInfo("genai-training-set.jsonl") };
var people = new Option<int>("--people") { Description = "How many members to seed in a new database.", DefaultValueFactory = _ => 3_000 };
var postsPerPerson = new Option<int>("--posts-per-person") { Description = "How many posts each member wrote.", DefaultValueFactory = _ => 5 };
var noLedger = new Option<bool>("--no-ledger") { Description = "Do not record the run in the data-use ledger." };
var model = new Option<string?>("--model") { Description = "Also record a model trained on the new set under this id (model lineage), deployed to assistant-production." };

var root = new RootCommand("Export the posts allowed for ai-training.generative to a JSONL training set.")
{
    database, output, people, postsPerPerson, noLedger, model,
};
root.SetAction((parse, cancellationToken) => TrainingExportJob.RunAsync(
    new TrainingExportSettings(
        parse.GetValue(database)!.FullName,
        parse.GetValue(output)!.FullName,
        parse.GetValue(people),
        parse.GetValue(postsPerPerson),
        RecordDataUse: !parse.GetValue(noLedger),
        ModelId: parse.GetValue(model)),
    Console.Out,
    cancellationToken));

// The data-lake path: a snapshot for an external job, and the members it used, back on the record.
var snapshotFile = new Option<FileInfo>("--snapshot") { Description = "The snapshot file: Parquet, or CSV when its name ends in .csv.", DefaultValueFactory = _ => new FileInfo("allowed.parquet") };
var dataUseId = new Option<string>("--data-use") { Description = "The external job's data use id.", Required = true };
var usedFile = new Option<FileInfo>("--used") { Description = "A text file with the ids of the members the job used, one per line.", Required = true };
var snapshot = new Command("snapshot", "Write the members who may be used for ai-training.generative as Parquet (or CSV for a .csv path), and start the data use.") { database, snapshotFile, dataUseId };
snapshot.SetAction((parse, cancellationToken) => SnapshotCommands.SnapshotAsync(
    parse.GetValue(database)!.FullName, parse.GetValue(snapshotFile)!.FullName, parse.GetValue(dataUseId)!, Console.Out, cancellationToken));
var importUsed = new Command("import-used", "Record the members an external job used (only those the snapshot allowed) and complete its data use.") { database, snapshotFile, usedFile };
importUsed.SetAction((parse, cancellationToken) => SnapshotCommands.ImportUsedAsync(
    parse.GetValue(database)!.FullName, parse.GetValue(snapshotFile)!.FullName, parse.GetValue(usedFile)!.FullName, Console.Out, cancellationToken));
// A model rebuilt from its plan: the set again through the gate, a new model, the deployment handed over.
var rebuildModel = new Option<string>("--model") { Description = "The model to rebuild without the people it owes.", Required = true };
var rebuildAs = new Option<string>("--as") { Description = "The rebuilt model's id.", Required = true };
var rebuild = new Command("rebuild", "Rebuild a model from its rebuild plan: export again through the gate, record the new model, hand it the old one's deployments.")
{
    database, output, people, postsPerPerson, rebuildModel, rebuildAs,
};
rebuild.SetAction((parse, cancellationToken) => RebuildCommand.RunAsync(
    parse.GetValue(database)!.FullName, parse.GetValue(rebuildModel)!, parse.GetValue(rebuildAs)!, parse.GetValue(output)!.FullName,
    parse.GetValue(people), parse.GetValue(postsPerPerson), Console.Out, cancellationToken));
root.Subcommands.Add(rebuild);
root.Subcommands.Add(snapshot);
root.Subcommands.Add(importUsed);

return await root.Parse(args).InvokeAsync();
