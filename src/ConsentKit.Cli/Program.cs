// consentkit: the operator's tool for a ConsentKit store. Exit codes: 0 done (and, for verify, the
// history verified); 1 verification failed or nothing found; 2 bad input or the store could not be used.
using System.CommandLine;
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

var root = new RootCommand("consentkit: verify, export and audit a ConsentKit store.") { newKey, verify, head, checkHead, export, erase, receipt, audit };
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
