using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Caching.Memory;

namespace ConsentKit.Samples.WebApp.Demo;

/// <summary>
/// Sessions kept on the server: the cookie holds only a random key, so signing out (which removes the
/// entry) ends the session even for a copy of the cookie. One process keeps them in memory; several
/// instances would keep them in a shared cache (<c>IDistributedCache</c>) instead.
/// </summary>
public sealed class ServerSessions(TimeProvider time) : ITicketStore, IDisposable
{
    private readonly MemoryCache _sessions = new(new MemoryCacheOptions { Clock = new TimeProviderClock(time) });

    public Task<string> StoreAsync(AuthenticationTicket ticket)
    {
        var key = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        Keep(key, ticket);
        return Task.FromResult(key);
    }

    public Task RenewAsync(string key, AuthenticationTicket ticket)
    {
        Keep(key, ticket);
        return Task.CompletedTask;
    }

    public Task<AuthenticationTicket?> RetrieveAsync(string key) => Task.FromResult(_sessions.Get<AuthenticationTicket>(key));

    public Task RemoveAsync(string key)
    {
        _sessions.Remove(key);
        return Task.CompletedTask;
    }

    public void Dispose() => _sessions.Dispose();

    private void Keep(string key, AuthenticationTicket ticket)
    {
        // A session the cookie middleware would no longer accept is not kept either.
        var expires = ticket.Properties.ExpiresUtc ?? time.GetUtcNow().AddDays(14);
        _sessions.Set(key, ticket, new MemoryCacheEntryOptions { AbsoluteExpiration = expires });
    }

#pragma warning disable CS0618 // ISystemClock is what MemoryCacheOptions takes.
    private sealed class TimeProviderClock(TimeProvider time) : Microsoft.Extensions.Internal.ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
#pragma warning restore CS0618

    /// <summary>Puts the cookie scheme's sessions in <see cref="ServerSessions"/>.</summary>
    internal sealed class Setup(ServerSessions sessions) : Microsoft.Extensions.Options.IPostConfigureOptions<CookieAuthenticationOptions>
    {
        public void PostConfigure(string? name, CookieAuthenticationOptions options) => options.SessionStore = sessions;
    }
}
