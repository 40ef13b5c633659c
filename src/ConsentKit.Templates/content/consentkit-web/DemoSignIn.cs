using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;

namespace ConsentKitWeb;

/// <summary>A demo sign-in: pick a user, no password. Replace it with your real authentication.</summary>
public static class DemoSignIn
{
    /// <summary>The people you can sign in as.</summary>
    public static readonly IReadOnlyDictionary<string, string> Users = new Dictionary<string, string>
    {
        ["ada"] = "Ada Lovelace",
        ["bob"] = "Bob Example",
    };

    public static void MapDemoSignIn(this IEndpointRouteBuilder app)
    {
        app.MapGet("/signin", (HttpContext context, IAntiforgery antiforgery) =>
        {
            var token = antiforgery.GetAndStoreTokens(context);
            var buttons = string.Concat(Users.Select(u =>
                $"<button type=\"submit\" name=\"user\" value=\"{HtmlEncoder.Default.Encode(u.Key)}\">{HtmlEncoder.Default.Encode(u.Value)}</button> "));
            return Results.Content(Html.Page("Sign in", $"""
                <h1>Sign in</h1>
                <form method="post" action="/signin">
                  <input type="hidden" name="{token.FormFieldName}" value="{token.RequestToken}">
                  {buttons}
                </form>
                """), "text/html");
        });

        // [FromForm] makes the antiforgery middleware check the token.
        app.MapPost("/signin", async (HttpContext context, [FromForm] string? user) =>
        {
            if (user is null || !Users.TryGetValue(user, out var name))
            {
                return Results.Problem(statusCode: 400, title: "Unknown user", detail: $"Pick one of: {string.Join(", ", Users.Keys)}.");
            }

            var identity = new ClaimsIdentity([new Claim("sub", user), new Claim(ClaimTypes.Name, name)], CookieAuthenticationDefaults.AuthenticationScheme);
            await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
            return Results.Redirect("/settings/privacy");
        });

        app.MapPost("/signout", async (HttpContext context, IFormCollection form) =>
        {
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.Redirect("/");
        });
    }
}
