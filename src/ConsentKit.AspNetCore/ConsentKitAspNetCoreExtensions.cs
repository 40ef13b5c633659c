using ConsentKit;
using ConsentKit.AspNetCore;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection
{
    /// <summary>Registers the ASP.NET Core adapter.</summary>
    public static class ConsentKitAspNetCoreServiceExtensions
    {
        /// <summary>Adds consent enforcement, the consent API and privacy signals to ASP.NET Core.</summary>
        /// <param name="builder">The ConsentKit builder.</param>
        /// <param name="configure">Configures enforcement.</param>
        public static IConsentKitBuilder AddAspNetCore(this IConsentKitBuilder builder, Action<ConsentKitHttpOptions>? configure = null)
        {
            ArgumentNullException.ThrowIfNull(builder);
            var services = builder.Services;
            services.AddOptions<ConsentKitHttpOptions>().ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConsentKitHttpOptions>, ConsentKitHttpOptionsValidator>());
            if (configure is not null)
            {
                services.Configure(configure);
            }

            services.AddProblemDetails();
            services.AddAntiforgery();
            services.TryAddSingleton<IConsentSubjectResolver, DefaultConsentSubjectResolver>();
            services.TryAddSingleton<IConsentDeniedHandler, ProblemDetailsConsentDeniedHandler>();
            services.TryAddSingleton<GlobalPrivacyControl>();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, ConsentMiddlewareGuardPolicy>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ConsentEndpointValidator>());
            return builder;
        }
    }
}

namespace Microsoft.AspNetCore.Builder
{
    /// <summary>Consent enforcement for the request pipeline and endpoints.</summary>
    public static class ConsentKitApplicationBuilderExtensions
    {
        /// <summary>
        /// Enforces the consent metadata of the selected endpoint by asking the gate, records Global Privacy
        /// Control refusals and sets the Content-Usage header. Place it after authentication and authorization.
        /// </summary>
        /// <param name="app">The app.</param>
        public static IApplicationBuilder UseConsentEnforcement(this IApplicationBuilder app)
        {
            ArgumentNullException.ThrowIfNull(app);
            return app.UseMiddleware<ConsentEnforcementMiddleware>();
        }

        /// <summary>Requires the caller's consent to <paramref name="purposeId"/>.</summary>
        /// <typeparam name="TBuilder">The builder type.</typeparam>
        /// <param name="builder">An endpoint or a route group.</param>
        /// <param name="purposeId">The purpose.</param>
        public static TBuilder RequireConsent<TBuilder>(this TBuilder builder, string purposeId)
            where TBuilder : IEndpointConventionBuilder =>
            builder.RequireConsent(purposeId, ConsentSubject.Caller);

        /// <summary>Requires <paramref name="subject"/>'s consent to <paramref name="purposeId"/>.</summary>
        /// <typeparam name="TBuilder">The builder type.</typeparam>
        /// <param name="builder">An endpoint or a route group.</param>
        /// <param name="purposeId">The purpose.</param>
        /// <param name="subject">Whose consent, e.g. <c>ConsentSubject.FromRoute("userId")</c> for a partner API serving that person's data.</param>
        public static TBuilder RequireConsent<TBuilder>(this TBuilder builder, string purposeId, ConsentSubject subject)
            where TBuilder : IEndpointConventionBuilder
        {
            ArgumentNullException.ThrowIfNull(builder);
            ArgumentException.ThrowIfNullOrWhiteSpace(purposeId);
            ArgumentNullException.ThrowIfNull(subject);
            var metadata = new RequireConsentMetadata(purposeId, subject);
            builder.Add(endpoint => endpoint.Metadata.Add(metadata));
            return builder;
        }

        /// <summary>This endpoint needs no consent, even inside a guarded group.</summary>
        /// <typeparam name="TBuilder">The builder type.</typeparam>
        /// <param name="builder">An endpoint.</param>
        public static TBuilder AllowWithoutConsent<TBuilder>(this TBuilder builder)
            where TBuilder : IEndpointConventionBuilder
        {
            ArgumentNullException.ThrowIfNull(builder);
            builder.Add(endpoint => endpoint.Metadata.Add(AllowWithoutConsentMetadata.Instance));
            return builder;
        }

        /// <summary>
        /// Responses carry <c>Content-Usage: train-ai=y</c> when the person named by <paramref name="subjectRouteParameter"/>
        /// allows <paramref name="purposeId"/>, and <c>train-ai=n</c> otherwise.
        /// </summary>
        /// <typeparam name="TBuilder">The builder type.</typeparam>
        /// <param name="builder">An endpoint that returns a person's content.</param>
        /// <param name="subjectRouteParameter">The name of the route parameter naming the person whose content it is.</param>
        /// <param name="purposeId">The purpose mapped to <c>train-ai</c>; default <see cref="ConsentPurposes.GenerativeAiTraining"/>.</param>
        public static TBuilder WithContentUsageHeader<TBuilder>(this TBuilder builder, string subjectRouteParameter, string purposeId = ConsentPurposes.GenerativeAiTraining)
            where TBuilder : IEndpointConventionBuilder
        {
            ArgumentNullException.ThrowIfNull(builder);
            var metadata = new ContentUsageMetadata(purposeId, ConsentSubject.FromRoute(subjectRouteParameter));
            builder.Add(endpoint => endpoint.Metadata.Add(metadata));
            return builder;
        }

        /// <summary>
        /// Maps the self-service consent API for the signed-in person: <c>GET</c> (every purpose and its state),
        /// <c>GET history</c>, <c>GET models</c> (the models the person's data went into and what each owes them), <c>GET receipts/{sequence}</c> (a signed ISO/IEC TS 27560 receipt) and <c>GET export</c> (everything held about the person) when <c>AddReceipts</c> was called, <c>POST {purposeId}/grant|refuse|withdraw</c>, and <c>POST withdraw-all|refuse-all</c> (one all-or-none append), and erasure in two steps: <c>POST erasure</c>
        /// (a token valid for 10 minutes, and what erasure will do) then <c>POST erasure/confirm</c> with that token.
        /// </summary>
        /// <param name="endpoints">The app's endpoints.</param>
        /// <param name="prefix">The route prefix. Default <c>/api/consents</c>.</param>
        /// <returns>The group, to add conventions (rate limiting, CORS, …).</returns>
        public static RouteGroupBuilder MapConsentEndpoints(this IEndpointRouteBuilder endpoints, string prefix = "/api/consents")
        {
            ArgumentNullException.ThrowIfNull(endpoints);
            var group = endpoints.MapGroup(prefix).WithTags("Consent");
            group.MapGet("/", ConsentApi.ListAsync);
            group.MapGet("/history", ConsentApi.HistoryAsync);
            group.MapGet("/receipts/{sequence}", ConsentReceiptsApi.ReceiptAsync);
            group.MapGet("/export", (Delegate)ConsentReceiptsApi.ExportAsync);
            group.MapGet("/models", (Delegate)ConsentLineageApi.ModelsAsync);
            group.MapPost("/{purposeId}/grant", ConsentApi.GrantAsync).DisableAntiforgery();
            group.MapPost("/{purposeId}/refuse", ConsentApi.RefuseAsync).DisableAntiforgery();
            group.MapPost("/{purposeId}/withdraw", ConsentApi.WithdrawAsync).DisableAntiforgery();
            group.MapPost("/withdraw-all", (Delegate)ConsentApi.WithdrawAllAsync).DisableAntiforgery();
            group.MapPost("/refuse-all", (Delegate)ConsentApi.RefuseAllAsync).DisableAntiforgery();
            group.MapPost("/erasure", (Delegate)ConsentErasureApi.RequestAsync).DisableAntiforgery();
            group.MapPost("/erasure/confirm", (Delegate)ConsentErasureApi.ConfirmAsync).DisableAntiforgery();
            string[] notPost = [HttpMethods.Get, HttpMethods.Put, HttpMethods.Delete, HttpMethods.Patch];
            string[] notGet = [HttpMethods.Post, HttpMethods.Put, HttpMethods.Delete, HttpMethods.Patch];
            foreach (var action in new[] { "grant", "refuse", "withdraw" })
            {
                group.MapMethods($"/{{purposeId}}/{action}", notPost, (HttpContext c) => ConsentApi.MethodNotAllowed(c, HttpMethods.Post)).DisableAntiforgery();
            }

            group.MapMethods("/withdraw-all", notPost, (HttpContext c) => ConsentApi.MethodNotAllowed(c, HttpMethods.Post)).DisableAntiforgery();
            group.MapMethods("/refuse-all", notPost, (HttpContext c) => ConsentApi.MethodNotAllowed(c, HttpMethods.Post)).DisableAntiforgery();
            group.MapMethods("/erasure", notPost, (HttpContext c) => ConsentApi.MethodNotAllowed(c, HttpMethods.Post)).DisableAntiforgery();
            group.MapMethods("/erasure/confirm", notPost, (HttpContext c) => ConsentApi.MethodNotAllowed(c, HttpMethods.Post)).DisableAntiforgery();
            group.MapMethods("/", notGet, (HttpContext c) => ConsentApi.MethodNotAllowed(c, HttpMethods.Get)).DisableAntiforgery();
            group.MapMethods("/history", notGet, (HttpContext c) => ConsentApi.MethodNotAllowed(c, HttpMethods.Get)).DisableAntiforgery();
            group.MapMethods("/models", notGet, (HttpContext c) => ConsentApi.MethodNotAllowed(c, HttpMethods.Get)).DisableAntiforgery();
            return group;
        }

        /// <summary>Serves <c>/.well-known/gpc.json</c>: this site honours Global Privacy Control.</summary>
        /// <param name="endpoints">The app's endpoints.</param>
        public static IEndpointConventionBuilder MapGlobalPrivacyControlWellKnown(this IEndpointRouteBuilder endpoints)
        {
            ArgumentNullException.ThrowIfNull(endpoints);
            return endpoints.MapGet("/.well-known/gpc.json", (IOptions<ConsentKitHttpOptions> options) =>
                Results.Json(new { gpc = true, lastUpdate = options.Value.GlobalPrivacyControlLastUpdate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) }));
        }
    }
}
