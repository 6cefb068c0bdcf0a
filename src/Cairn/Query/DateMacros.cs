using Cairn.Api;

namespace Cairn.Query;

/// <summary>The date macros of POCKETBASE_API.md 2.2, in UTC: dates as PocketBase date strings, the rest as integers.</summary>
public static class DateMacros
{
    public static bool TryGet(string name, DateTimeOffset now, out object? value)
    {
        var utc = now.UtcDateTime;
        var today = utc.Date;
        var monthStart = new DateTime(utc.Year, utc.Month, 1, 0, 0, 0, DateTimeKind.Utc);
        var yearStart = new DateTime(utc.Year, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var endOfDay = TimeSpan.FromDays(1) - TimeSpan.FromMilliseconds(1);
        value = name switch
        {
            "@now" => Date(utc),
            "@yesterday" => Date(utc.AddDays(-1)),
            "@tomorrow" => Date(utc.AddDays(1)),
            "@todayStart" => Date(today),
            "@todayEnd" => Date(today + endOfDay),
            "@monthStart" => Date(monthStart),
            "@monthEnd" => Date(monthStart.AddMonths(1).AddMilliseconds(-1)),
            "@yearStart" => Date(yearStart),
            "@yearEnd" => Date(yearStart.AddYears(1).AddMilliseconds(-1)),
            "@second" => (double)utc.Second,
            "@minute" => (double)utc.Minute,
            "@hour" => (double)utc.Hour,
            "@day" => (double)utc.Day,
            "@month" => (double)utc.Month,
            "@weekday" => (double)(int)utc.DayOfWeek,
            "@year" => (double)utc.Year,
            _ => null,
        };
        return value is not null;
    }

    private static string Date(DateTime utc) => CairnJson.FormatDate(new DateTimeOffset(utc, TimeSpan.Zero));
}
