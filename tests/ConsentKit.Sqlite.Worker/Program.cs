// A child process for the SQLite store's crash and multi-process tests.
//   loop  <db> <subject-prefix>          append forever, printing "ack <sequence>" after each append returns
//   count <db> <subject-prefix> <n>      append n records, printing "ack <sequence>" for each, then "done"
using ConsentKit;
using ConsentKit.Sqlite;

var mode = args[0];
var store = new SqliteConsentStore(new SqliteConsentStoreOptions { ConnectionString = $"Data Source={args[1]}", BusyTimeout = TimeSpan.FromSeconds(30) });
var prefix = args[2];
var limit = mode == "count" ? long.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : long.MaxValue;
var stdout = Console.Out;

for (long i = 0; i < limit; i++)
{
    var record = new NewConsentRecord(
        $"{prefix}-{i % 97}", ConsentPurposes.GenerativeAiTraining, i % 2 == 0 ? ConsentStatus.Granted : ConsentStatus.Withdrawn,
        "1", DateTimeOffset.UtcNow, null, ConsentMethod.SubjectUserInterface, "worker");
    var stored = await store.AppendAsync(record);
    stdout.WriteLine($"ack {stored.Sequence}");
    stdout.Flush();
}

stdout.WriteLine("done");
store.Dispose();
