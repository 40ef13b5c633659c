using BenchmarkDotNet.Running;
using ConsentKit.Benchmarks;

if (args is ["propagation", ..])
{
    await PropagationBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000);
    return;
}

if (args is ["cache-memory", ..])
{
    await CacheMemoryMeasurement.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100_000);
    return;
}

if (args is ["scale-import", ..])
{
    await ScaleImportMeasurement.RunAsync(
        args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 50_000);
    return;
}

if (args is ["cold-check", var coldSchema, var coldPeople, ..])
{
    await ColdCheckMeasurement.RunAsync(
        coldSchema,
        int.Parse(coldPeople, System.Globalization.CultureInfo.InvariantCulture),
        args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 64,
        args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 20,
        args is [.., "sweep"]);
    return;
}

if (args is ["scale-snapshot", var snapshotSchema, ..])
{
    await ScaleSnapshotMeasurement.RunAsync(snapshotSchema, args.Length > 2 ? args[2] : "stream");
    return;
}

if (args is ["scale-verify", var verifySchema])
{
    await ScaleVerifyMeasurement.RunAsync(verifySchema);
    return;
}

if (args is ["scale-used", var usedSchema, var usedPath])
{
    await ScaleUsedMeasurement.RunAsync(usedSchema, usedPath);
    return;
}

if (args is ["scale-billion", var billionSchema, var billionPeople, ..])
{
    await BillionRowMeasurement.RunAsync(
        billionSchema,
        int.Parse(billionPeople, System.Globalization.CultureInfo.InvariantCulture),
        args.Length > 3 ? long.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000_000);
    return;
}

if (args is ["cache-hits", ..])
{
    CacheHitMeasurement.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000);
    return;
}

if (args is ["relay-backlog", ..])
{
    await RelayBacklogMeasurement.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20_000);
    return;
}

if (args is ["relay-lag", ..])
{
    await RelayLagBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 500);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(PropagationBenchmark).Assembly).Run(args);
