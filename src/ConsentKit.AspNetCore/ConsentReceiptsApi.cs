using System.Globalization;
using ConsentKit.Receipts;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.AspNetCore;

/// <summary>The signed-in person's own receipts and export. Both need <c>AddReceipts(…)</c>; without it they answer 404.</summary>
internal static class ConsentReceiptsApi
{
    public static async Task<IResult> ReceiptAsync(HttpContext context, string sequence)
    {
        var (subject, callerError) = await ConsentApi.CallerAsync(context);
        if (callerError is not null)
        {
            return callerError;
        }

        if (!long.TryParse(sequence, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number <= 0)
        {
            return ConsentApi.Problem(StatusCodes.Status400BadRequest, "Invalid sequence", $"'{sequence}' is not a record sequence (a positive whole number).", ("field", "sequence"));
        }

        if (context.RequestServices.GetService<IConsentReceipts>() is not { } receipts)
        {
            return NotEnabled();
        }

        try
        {
            return await receipts.IssueAsync(subject, number, context.RequestAborted) is { } receipt
                ? Results.Json(new { token = receipt.Token, receipt = receipt.Receipt }, ConsentReceiptJson.Options)
                : ConsentApi.Problem(StatusCodes.Status404NotFound, "No such record", $"You have no consent record #{number}.");
        }
        catch (ConsentStoreException)
        {
            return ConsentApi.Problem(StatusCodes.Status503ServiceUnavailable, "Consent store unavailable", "Your receipt cannot be made right now.");
        }
    }

    public static async Task<IResult> ExportAsync(HttpContext context)
    {
        var (subject, callerError) = await ConsentApi.CallerAsync(context);
        if (callerError is not null)
        {
            return callerError;
        }

        if (context.RequestServices.GetService<IConsentSubjectExporter>() is not { } exporter)
        {
            return NotEnabled();
        }

        try
        {
            var export = await exporter.ExportAsync(subject, context.RequestAborted);
            context.Response.Headers.ContentDisposition = "attachment; filename=consent-export.json";
            return Results.Json(export, ConsentReceiptJson.Options);
        }
        catch (ConsentStoreException)
        {
            return ConsentApi.Problem(StatusCodes.Status503ServiceUnavailable, "Consent store unavailable", "Your data cannot be exported right now.");
        }
    }

    private static IResult NotEnabled() =>
        ConsentApi.Problem(StatusCodes.Status404NotFound, "Receipts are not enabled", "This server does not issue consent receipts (AddReceipts was not called).");
}
