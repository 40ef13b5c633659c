using System.Security.Cryptography;
using ConsentKit.Receipts;
using ConsentKit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace ConsentKit.Tests;

/// <summary>ConsentKit with receipts on an in-memory store, optionally behind a decorator that can change what the store returns.</summary>
internal sealed class ReceiptTestKit : IDisposable
{
    public ReceiptTestKit(ECDsaSecurityKey? key = null, IEnumerable<SecurityKey>? previousKeys = null, InMemoryConsentStore? store = null, Action<IConsentKitBuilder>? configure = null)
    {
        Inner = store ?? new InMemoryConsentStore();
        Key = key ?? NewKey("key-1");
        Store = new TamperingStore(Inner);
        Kit = new ConsentKitFixture(
            b => (configure is null ? b : Configured(b, configure)).UseDataUseLedger(_ => Inner).AddReceipts(o =>
            {
                o.ControllerName = "Example Network Ltd";
                o.ControllerContact = "privacy@example.com";
                o.WithdrawalMethod = "https://example.com/settings/privacy";
                o.SigningKey = Key;
                foreach (var previous in previousKeys ?? [])
                {
                    o.PreviousKeys.Add(previous);
                }
            }),
            Store);
    }

    public InMemoryConsentStore Inner { get; }

    /// <summary>A kit that also registers "newsletter", whose grants last 365 days.</summary>
    public static ReceiptTestKit WithNewsletter() =>
        new(configure: b => b.AddPurpose("newsletter", "Newsletter", "Send me the newsletter.", "1", lifetime: TimeSpan.FromDays(365)));

    /// <summary>A grant bulk-imported straight into the store, without the expiry the recorder would write.</summary>
    public ValueTask<ConsentRecord> ImportGrantAsync(string subject, string purpose) =>
        Inner.AppendAsync(new NewConsentRecord(subject, purpose, ConsentStatus.Granted, "1", Kit.Time.GetUtcNow(), null, ConsentMethod.SubjectApiCall), TestContext.Current.CancellationToken);

    private static IConsentKitBuilder Configured(IConsentKitBuilder builder, Action<IConsentKitBuilder> configure)
    {
        configure(builder);
        return builder;
    }

    public TamperingStore Store { get; }

    public ECDsaSecurityKey Key { get; }

    public ConsentKitFixture Kit { get; }

    public IConsentReceipts Receipts => Kit.Provider.GetRequiredService<IConsentReceipts>();

    public static ECDsaSecurityKey NewKey(string id) => new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = id };

    public void Dispose() => Kit.Dispose();

    /// <summary>Returns chain entries as stored, or changed by <see cref="Change"/>: what an attacker with write access to the database could do.</summary>
    internal sealed class TamperingStore(IConsentStore inner) : DelegatingConsentStore(inner)
    {
        public Func<ConsentChainEntry, ConsentChainEntry?>? Change { get; set; }

        public override async ValueTask<IReadOnlyList<ConsentChainEntry>> GetChainAsync(long afterSequence, int maxCount, CancellationToken cancellationToken = default)
        {
            var page = await base.GetChainAsync(afterSequence, maxCount, cancellationToken);
            return Change is null ? page : [.. page.Select(Change).OfType<ConsentChainEntry>()];
        }
    }
}
