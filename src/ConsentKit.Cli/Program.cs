// consentkit: the operator's tool for a ConsentKit store. Exit codes: 0 done (and, for verify, the
// history verified); 1 verification failed or nothing found; 2 bad input or the store could not be used.
using System.CommandLine;
using ConsentKit;
using ConsentKit.Cli;

var connection = new Option<string>("--connection", "-c") { Description = "The store's connection string: \"Data Source=consent.db\" (SQLite) or \"Host=…;Username=…;Database=…\" (PostgreSQL).", Required = true };
var store = new Option<string?>("--store") { Description = "sqlite or postgresql; by default inferred from the connection string." };
var schema = new Option<string?>("--schema") { Description = "The PostgreSQL schema (default consentkit)." };
var subject = new Option<string>("--subject") { Description = "The subject (person) id.", Required = true };
var anchor = new Option<string?>("--anchor") { Description = "A head kept outside the database: its line (consentkit-chain-head:…), a file holding it (and its signature), or an anchor directory (its latest head). Verification then also proves nothing up to it was rewritten or cut off; without one, it cannot." };
var anchorKey = new Option<FileInfo?>("--anchor-key") { Description = "PEM file with the public key the anchored head was signed with: its signature must check out." };
var to = new Option<string?>("--to") { Description = "An anchor directory to keep the head in (one write-once file per head; put it where the database's users cannot write)." };
var key = new Option<FileInfo?>("--key") { Description = "PEM file with the ECDSA P-256 private key that signs receipts and audits (and heads)." };
var keyId = new Option<string?>("--key-id") { Description = "The key's id (kid); by default derived from its public half." };
var controller = new Option<string?>("--controller-name") { Description = "The controller named on receipts." };
var contact = new Option<string?>("--controller-contact") { Description = "How to reach the controller." };
var withdrawal = new Option<string?>("--withdrawal-method") { Description = "How a person withdraws (words or a URL)." };
var sequence = new Option<long>("--sequence") { Description = "The record's sequence.", Required = true };
var dataUse = new Option<string>("--data-use") { Description = "The data use (training-set build) id.", Required = true };
var yes = new Option<bool>("--yes") { Description = "Confirm erasure: it cannot be undone." };

StoreSettings Store(ParseResult p) => new(p.GetValue(connection)!, p.GetValue(store), p.GetValue(schema));
AnchorSettings Anchor(ParseResult p) => new(p.GetValue(anchor), p.GetValue(anchorKey));
ReceiptSettings Receipts(ParseResult p) => new(p.GetValue(key), p.GetValue(keyId), p.GetValue(controller), p.GetValue(contact), p.GetValue(withdrawal));

var verify = new Command("verify", "Walk both hash chains (records; subject registry and ledger) and check the current state, the registry, the ledger and the store's counter; exit 0 only when it verifies.") { connection, store, schema, anchor, anchorKey };
verify.SetAction((p, ct) => Commands.VerifyAsync(Store(p), Anchor(p), Console.Out, Console.Error, ct));

var head = new Command("head", "Verify, then print the head (and, with --key, its signature) to keep elsewhere; --to keeps it in an anchor directory.") { connection, store, schema, key, keyId, to };
head.SetAction((p, ct) => Commands.HeadAsync(Store(p), p.GetValue(key), p.GetValue(to), Console.Out, Console.Error, ct));

var checkHead = new Command("check-head", "Check an anchored head's signature with the public key; exit 0 only when it checks out.") { anchor, anchorKey };
checkHead.SetAction((p, ct) => Commands.CheckHeadAsync(Anchor(p), Console.Out, Console.Error, ct));

var export = new Command("export-subject", "Print everything held about a subject as JSON: records, notice texts, signed receipts, data uses.") { connection, store, schema, subject, key, keyId, controller, contact, withdrawal };
export.SetAction((p, ct) => Commands.ExportSubjectAsync(Store(p), Receipts(p), p.GetValue(subject)!, Console.Out, Console.Error, ct));

var erase = new Command("erase-subject", "Withdraw what the subject had on, then destroy the link between them and their records.") { connection, store, schema, subject, yes };
erase.SetAction((p, ct) => Commands.EraseSubjectAsync(Store(p), p.GetValue(subject)!, p.GetValue(yes), Console.Out, Console.Error, ct));

var receipt = new Command("receipt", "Issue the signed receipt (compact JWS) for one of a subject's records.") { connection, store, schema, subject, sequence, key, keyId, controller, contact, withdrawal };
receipt.SetAction((p, ct) => Commands.ReceiptAsync(Store(p), Receipts(p), p.GetValue(subject)!, p.GetValue(sequence), Console.Out, Console.Error, ct));

var audit = new Command("audit-data-use", "Audit a data use: every included subject's grant at its start, and who withdrew since; the history verified (against --anchor when given). Exit 0 only when it passes.") { connection, store, schema, dataUse, key, keyId, controller, contact, withdrawal, anchor, anchorKey };
audit.SetAction((p, ct) => Commands.AuditDataUseAsync(Store(p), Receipts(p), Anchor(p), p.GetValue(dataUse)!, Console.Out, Console.Error, ct));

var keyOut = new Option<FileInfo>("--out") { Description = "The PEM file to write the private key to (created readable by you only; never overwritten).", Required = true };
var keyPublic = new Option<FileInfo?>("--public") { Description = "The PEM file for the public key; by default <out>.public.pem." };
var newKey = new Command("new-key", "Make an ECDSA P-256 key pair for --key (signing heads, receipts, audits) and --anchor-key (checking them).") { keyOut, keyPublic };
newKey.SetAction((p, ct) => KeyCommand.NewKeyAsync(p.GetValue(keyOut)!, p.GetValue(keyPublic), Console.Out, Console.Error, ct));

var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
var artifactOption = new Option<string?>("--artifact") { Description = "The artifact (model, fine-tune, index) id." };
var subjectFilter = new Option<string?>("--subject") { Description = "Only the artifacts that hold this person's data (GDPR Art. 15)." };
var lineage = new Command("lineage", "List the artifacts built from data uses and from each other, with their inputs and deployments; --subject: those holding one person's data.") { connection, store, schema, subjectFilter, json };
lineage.SetAction((p, ct) => LineageCommands.LineageAsync(Store(p), p.GetValue(subjectFilter), p.GetValue(json), Console.Out, Console.Error, ct));

var obligations = new Command("obligations", "What each artifact owes the people who withdrew (or one artifact's, person by person); exit 1 when one is past its deadline — a gate before deploying.") { connection, store, schema, artifactOption, json };
obligations.SetAction((p, ct) => LineageCommands.ObligationsAsync(Store(p), p.GetValue(artifactOption), p.GetValue(json), Console.Out, Console.Error, ct));

var artifactRequired = new Option<string>("--artifact") { Description = "The artifact id.", Required = true };
var rebuildPlan = new Command("rebuild-plan", "Print, as JSON, how to rebuild an artifact without the people it owes: the data uses to take again, who drops out, what to rebuild in order, the watermark.") { connection, store, schema, artifactRequired };
rebuildPlan.SetAction((p, ct) => LineageCommands.RebuildPlanAsync(Store(p), p.GetValue(artifactRequired)!, Console.Out, Console.Error, ct));

var artifactId = new Option<string>("--id") { Description = "The new artifact's id (never reused).", Required = true };
var artifactVersion = new Option<string>("--version") { Description = "Its version.", Required = true };
var artifactKind = new Option<string>("--kind") { Description = "model, fine-tune, checkpoint, embedding-index, distilled-model, derived-dataset, or your own.", Required = true };
var artifactOwner = new Option<string>("--owner") { Description = "Who answers for it.", Required = true };
var artifactInputs = new Option<string[]>("--input") { Description = "What it was built from: data-use:<id> or artifact:<id> (repeat).", Required = true, AllowMultipleArgumentsPerToken = true };
var builtAt = new Option<DateTimeOffset?>("--built-at") { Description = "When it was built (ISO 8601); by default now." };
var recordArtifact = new Command("record-artifact", "Record an artifact built from data uses and artifacts already recorded.") { connection, store, schema, artifactId, artifactVersion, artifactKind, artifactOwner, artifactInputs, builtAt };
recordArtifact.SetAction((p, ct) => LineageCommands.RecordArtifactAsync(Store(p), () => new NewArtifact
{
    Id = p.GetValue(artifactId)!,
    Version = p.GetValue(artifactVersion)!,
    Kind = p.GetValue(artifactKind)!,
    Owner = p.GetValue(artifactOwner)!,
    BuiltAt = p.GetValue(builtAt) ?? TimeProvider.System.GetUtcNow(),
    Inputs = [.. (p.GetValue(artifactInputs) ?? []).Select(LineageCommands.ParseInput)],
}, Console.Out, Console.Error, ct));

var deployment = new Option<string>("--deployment") { Description = "The deployment, e.g. chat-production.", Required = true };
var by = new Option<string>("--by") { Description = "Who does it.", Required = true };
var deploy = new Command("deploy", "Record that an artifact now serves a deployment (replacing whatever served it).") { connection, store, schema, deployment, artifactRequired, by };
deploy.SetAction((p, ct) => LineageCommands.DeployAsync(Store(p), p.GetValue(deployment)!, p.GetValue(artifactRequired)!, p.GetValue(by)!, Console.Out, Console.Error, ct));

var subscriptionOption = new Option<string>("--subscription") { Description = "The relay subscription, e.g. partner.", Required = true };
var after = new Option<long>("--after") { Description = "Deliver again the changes after this sequence.", Required = true };
var relayStatus = new Command("status", "Each relay subscription: its position, how many changes are after it, the instance relaying it, dead letters, last error.") { connection, store, schema, json };
relayStatus.SetAction((p, ct) => RelayCommands.StatusAsync(Store(p), p.GetValue(json), Console.Out, Console.Error, ct));
var relayLetters = new Command("dead-letters", "A subscription's dead letters: the changes it could not deliver, oldest first, with the last error.") { connection, store, schema, subscriptionOption, json };
relayLetters.SetAction((p, ct) => RelayCommands.DeadLettersAsync(Store(p), p.GetValue(subscriptionOption)!, p.GetValue(json), Console.Out, Console.Error, ct));
var relayReplay = new Command("replay", "Ask the relay to deliver a subscription's dead letters again, oldest first.") { connection, store, schema, subscriptionOption };
relayReplay.SetAction((p, ct) => RelayCommands.ReplayAsync(Store(p), p.GetValue(subscriptionOption)!, Console.Out, Console.Error, ct));
var relayRewind = new Command("rewind", "Deliver a subscription's changes again from after a sequence (receivers drop repeats by id).") { connection, store, schema, subscriptionOption, after };
relayRewind.SetAction((p, ct) => RelayCommands.RewindAsync(Store(p), p.GetValue(subscriptionOption)!, p.GetValue(after), Console.Out, Console.Error, ct));
var relay = new Command("relay", "The consent relay's state in the store: status, dead letters, replay, rewind.") { relayStatus, relayLetters, relayReplay, relayRewind };
var newWebhookSecret = new Command("new-webhook-secret", "Print a new Standard Webhooks secret (whsec_…) for a relay webhook and its receiver.");
newWebhookSecret.SetAction((_, _) => RelayCommands.NewWebhookSecretAsync(Console.Out));

var importFile = new Option<FileInfo>("--file") { Description = "The export to import: .csv (header row) or .jsonl (one object per line).", Required = true };
var importFormat = new Option<string?>("--format") { Description = "csv or jsonl; by default from the file's extension." };
var importMap = new Option<string[]>("--map") { Description = "field=column where the file names a field differently, e.g. subject_id=user_id (repeat).", AllowMultipleArgumentsPerToken = true };
var importSource = new Option<string?>("--source") { Description = "The source recorded on rows that name none (default import): the system the export came from." };
var importBatch = new Option<int?>("--batch-size") { Description = "Records per store transaction (default 50000)." };
var import = new Command("import", "Import consent given elsewhere (another platform's export): every row checked first (nothing written if one is bad), then chained in batches; never over a newer choice.") { connection, store, schema, importFile, importFormat, importMap, importSource, importBatch };
import.SetAction((p, ct) => ImportCommand.RunAsync(Store(p), p.GetValue(importFile)!, p.GetValue(importFormat), p.GetValue(importMap) ?? [], p.GetValue(importSource), p.GetValue(importBatch), Console.Out, Console.Error, ct));

var root = new RootCommand("consentkit: verify, export and audit a ConsentKit store.")
{
    newKey, verify, head, checkHead, export, erase, receipt, audit, lineage, obligations, rebuildPlan, recordArtifact, deploy, relay, newWebhookSecret, import,
};
var parsed = root.Parse(args);
return parsed.Errors.Count > 0 ? await Usage(parsed) : await parsed.InvokeAsync();

static async Task<int> Usage(ParseResult parsed)
{
    foreach (var error in parsed.Errors)
    {
        await Console.Error.WriteLineAsync(error.Message);
    }

    return ExitCodes.BadInput;
}
