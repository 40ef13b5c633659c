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
