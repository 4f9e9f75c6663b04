#include "connectors/sources/faker/faker_data.h"

namespace sluice::faker {

namespace {

constexpr Word kFirstNamesData[] = {
    "James",   "Mary",    "Robert",  "Patricia", "John",    "Jennifer", "Michael", "Linda",   "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan",  "Joseph",   "Jessica", "Thomas",  "Sarah",
    "Charles", "Karen",   "Daniel",  "Nancy",    "Matthew", "Lisa",     "Anthony", "Betty",   "Mark",
    "Sandra",  "Paul",    "Ashley",  "Steven",   "Emily",   "Andrew",   "Donna",   "Joshua",  "Michelle",
    "Kenji",   "Yuki",    "Amara",   "Luca",     "Sofia",   "Mateo",    "Ingrid",  "Lars",    "Priya",
    "Arjun",   "Fatima",  "Omar",    "Chloe",    "Hugo",
};

constexpr Word kLastNamesData[] = {
    "Smith",   "Johnson",  "Williams", "Brown",    "Jones",   "Garcia",   "Miller",  "Davis",   "Rodriguez",
    "Martinez", "Hernandez", "Lopez",  "Gonzalez", "Wilson",  "Anderson", "Thomas",  "Taylor",  "Moore",
    "Jackson", "Martin",   "Lee",      "Perez",    "Thompson", "White",   "Harris",  "Sanchez", "Clark",
    "Ramirez", "Lewis",    "Robinson", "Walker",   "Young",   "Allen",    "King",    "Wright",  "Scott",
    "Tanaka",  "Sato",     "Okafor",   "Rossi",    "Bianchi", "Dubois",   "Lefebvre", "Nielsen", "Larsen",
    "Patel",   "Sharma",   "Haddad",   "Novak",    "Kowalski",
};

constexpr Word kTitlesData[] = {
    "Mr.", "Mrs.", "Ms.", "Mx.", "Dr.", "Prof.", "B.Sc.", "M.Sc.", "M.Sc.Tech.", "MBA", "PhD",
};

constexpr Word kGendersData[] = {"Female", "Male", "Female", "Male", "Non-binary", "Other"};

constexpr Word kLanguagesData[] = {
    "English",  "Spanish",  "French",  "German",    "Italian", "Portuguese", "Dutch",    "Swedish",
    "Danish",   "Norwegian", "Finnish", "Polish",   "Czech",   "Hungarian",  "Romanian", "Greek",
    "Turkish",  "Russian",  "Ukrainian", "Arabic",  "Hebrew",  "Persian",    "Hindi",    "Bengali",
    "Urdu",     "Tamil",    "Thai",    "Vietnamese", "Indonesian", "Malay",  "Japanese", "Korean",
    "Mandarin", "Cantonese", "Swahili", "Yoruba",   "Zulu",    "Icelandic",
};

constexpr Word kAcademicDegreesData[] = {
    "None", "High School", "Associate", "Bachelor", "Bachelor", "Master", "Master", "PhD", "MBA", "MD",
};

constexpr Word kNationalitiesData[] = {
    "American",   "Canadian",  "Mexican",   "Brazilian", "Argentinian", "Chilean",    "Colombian",
    "Peruvian",   "British",   "Irish",     "French",    "German",      "Dutch",      "Belgian",
    "Swiss",      "Austrian",  "Italian",   "Spanish",   "Portuguese",  "Swedish",    "Norwegian",
    "Danish",     "Finnish",   "Polish",    "Czech",     "Hungarian",   "Greek",      "Turkish",
    "Russian",    "Ukrainian", "Egyptian",  "Moroccan",  "Nigerian",    "Kenyan",     "South African",
    "Indian",     "Pakistani", "Chinese",   "Japanese",  "Korean",      "Vietnamese", "Thai",
    "Indonesian", "Filipino",  "Australian", "New Zealander",
};

constexpr Word kOccupationsData[] = {
    "Accountant",      "Actor",          "Architect",       "Artist",          "Baker",
    "Barista",         "Biologist",      "Carpenter",       "Chef",            "Chemist",
    "Civil Engineer",  "Consultant",     "Data Analyst",    "Data Engineer",   "Dentist",
    "Designer",        "Doctor",         "Economist",       "Editor",          "Electrician",
    "Farmer",          "Firefighter",    "Geologist",       "Graphic Designer", "Historian",
    "Journalist",      "Judge",          "Lawyer",          "Librarian",       "Mechanic",
    "Musician",        "Nurse",          "Pharmacist",      "Photographer",    "Physicist",
    "Pilot",           "Plumber",        "Police Officer",  "Product Manager", "Professor",
    "Psychologist",    "Real Estate Agent", "Sales Manager", "Scientist",      "Software Engineer",
    "Statistician",    "Teacher",        "Translator",      "Veterinarian",    "Writer",
};

constexpr Word kBloodTypesData[] = {"O+", "O-", "A+", "A-", "B+", "B-", "AB+", "AB-"};

constexpr Word kStreetNamesData[] = {
    "Main",     "Oak",      "Pine",     "Maple",    "Cedar",    "Elm",      "Washington", "Lake",
    "Hill",     "Park",     "Walnut",   "Sunset",   "Highland", "River",    "Church",     "Mill",
    "Spring",   "Ridge",    "Forest",   "Meadow",   "Willow",   "Chestnut", "Lincoln",    "Jefferson",
    "Franklin", "Madison",  "Jackson",  "Harbor",   "Orchard",  "Valley",   "Bridge",     "Station",
    "Garden",   "Prospect", "Victoria", "Queen",    "King",     "Market",   "Union",      "Canal",
};

constexpr Word kStreetSuffixesData[] = {
    "Street", "Avenue", "Road", "Lane", "Drive", "Boulevard", "Way", "Court", "Place", "Terrace",
};

constexpr Word kEmailDomainsData[] = {
    "example.com", "example.org", "example.net", "mail.test",  "inbox.test",
    "post.test",   "webmail.test", "corp.test",  "sluice.test", "faker.test",
};

constexpr Word kTagsData[] = {
    "vip",       "newsletter", "beta-tester", "early-adopter", "churn-risk", "loyal",    "referral",
    "mobile",    "desktop",    "enterprise",  "startup",       "student",    "premium",  "free-tier",
    "trial",     "support",    "partner",     "reseller",      "wholesale",  "retail",   "eu",
    "us",        "apac",       "latam",       "gdpr",          "verified",   "inactive", "high-value",
};

constexpr Location kLocationsData[] = {
    {"New York", "New York", "US-NY", "US"},
    {"Los Angeles", "California", "US-CA", "US"},
    {"San Francisco", "California", "US-CA", "US"},
    {"Chicago", "Illinois", "US-IL", "US"},
    {"Houston", "Texas", "US-TX", "US"},
    {"Austin", "Texas", "US-TX", "US"},
    {"Seattle", "Washington", "US-WA", "US"},
    {"Portland", "Oregon", "US-OR", "US"},
    {"Denver", "Colorado", "US-CO", "US"},
    {"Boston", "Massachusetts", "US-MA", "US"},
    {"Miami", "Florida", "US-FL", "US"},
    {"Atlanta", "Georgia", "US-GA", "US"},
    {"Toronto", "Ontario", "CA-ON", "CA"},
    {"Montreal", "Quebec", "CA-QC", "CA"},
    {"Vancouver", "British Columbia", "CA-BC", "CA"},
    {"Mexico City", "Ciudad de Mexico", "MX-CMX", "MX"},
    {"Sao Paulo", "Sao Paulo", "BR-SP", "BR"},
    {"Buenos Aires", "Buenos Aires", "AR-C", "AR"},
    {"London", "England", "GB-ENG", "GB"},
    {"Manchester", "England", "GB-ENG", "GB"},
    {"Edinburgh", "Scotland", "GB-SCT", "GB"},
    {"Dublin", "Leinster", "IE-L", "IE"},
    {"Paris", "Ile-de-France", "FR-IDF", "FR"},
    {"Lyon", "Auvergne-Rhone-Alpes", "FR-ARA", "FR"},
    {"Berlin", "Berlin", "DE-BE", "DE"},
    {"Munich", "Bavaria", "DE-BY", "DE"},
    {"Amsterdam", "North Holland", "NL-NH", "NL"},
    {"Rotterdam", "South Holland", "NL-ZH", "NL"},
    {"Brussels", "Brussels", "BE-BRU", "BE"},
    {"Zurich", "Zurich", "CH-ZH", "CH"},
    {"Vienna", "Vienna", "AT-9", "AT"},
    {"Madrid", "Madrid", "ES-MD", "ES"},
    {"Barcelona", "Catalonia", "ES-CT", "ES"},
    {"Lisbon", "Lisbon", "PT-11", "PT"},
    {"Rome", "Lazio", "IT-62", "IT"},
    {"Milan", "Lombardy", "IT-25", "IT"},
    {"Stockholm", "Stockholm", "SE-AB", "SE"},
    {"Copenhagen", "Capital Region", "DK-84", "DK"},
    {"Oslo", "Oslo", "NO-03", "NO"},
    {"Helsinki", "Uusimaa", "FI-18", "FI"},
    {"Warsaw", "Masovia", "PL-14", "PL"},
    {"Prague", "Prague", "CZ-10", "CZ"},
    {"Moscow", "Moscow", "RU-MOW", "RU"},
    {"Istanbul", "Istanbul", "TR-34", "TR"},
    {"Cairo", "Cairo", "EG-C", "EG"},
    {"Lagos", "Lagos", "NG-LA", "NG"},
    {"Nairobi", "Nairobi", "KE-30", "KE"},
    {"Mumbai", "Maharashtra", "IN-MH", "IN"},
    {"Bangalore", "Karnataka", "IN-KA", "IN"},
    {"Tokyo", "Tokyo", "JP-13", "JP"},
    {"Osaka", "Osaka", "JP-27", "JP"},
    {"Seoul", "Seoul", "KR-11", "KR"},
    {"Shanghai", "Shanghai", "CN-SH", "CN"},
    {"Singapore", "Singapore", "SG-01", "SG"},
    {"Sydney", "New South Wales", "AU-NSW", "AU"},
    {"Melbourne", "Victoria", "AU-VIC", "AU"},
    {"Auckland", "Auckland", "NZ-AUK", "NZ"},
};

constexpr CarModel kCarModelsData[] = {
    {"Toyota", "Corolla", 1990, 2024, 21000},      {"Toyota", "Camry", 1992, 2024, 27000},
    {"Toyota", "RAV4", 1996, 2024, 30000},         {"Honda", "Civic", 1990, 2024, 24000},
    {"Honda", "Accord", 1990, 2024, 28000},        {"Honda", "CR-V", 1997, 2024, 31000},
    {"Ford", "F-150", 1990, 2024, 38000},          {"Ford", "Mustang", 1990, 2024, 32000},
    {"Ford", "Focus", 1999, 2018, 19000},          {"Chevrolet", "Silverado", 1999, 2024, 37000},
    {"Chevrolet", "Malibu", 1997, 2024, 24000},    {"Chevrolet", "Corvette", 1990, 2024, 65000},
    {"Nissan", "Altima", 1993, 2024, 26000},       {"Nissan", "Leaf", 2011, 2024, 29000},
    {"Mazda", "MX-5", 1990, 2024, 29000},          {"Mazda", "CX-5", 2013, 2024, 28000},
    {"Subaru", "Outback", 1995, 2024, 30000},      {"Subaru", "Impreza", 1993, 2024, 22000},
    {"Volkswagen", "Golf", 1990, 2024, 23000},     {"Volkswagen", "Passat", 1990, 2022, 26000},
    {"BMW", "3 Series", 1990, 2024, 44000},        {"BMW", "X5", 2000, 2024, 63000},
    {"Mercedes-Benz", "C-Class", 1994, 2024, 46000}, {"Mercedes-Benz", "E-Class", 1993, 2024, 57000},
    {"Audi", "A4", 1995, 2024, 41000},             {"Audi", "Q5", 2009, 2024, 45000},
    {"Volvo", "XC90", 2003, 2024, 57000},          {"Volvo", "V60", 2011, 2024, 45000},
    {"Tesla", "Model 3", 2017, 2024, 40000},       {"Tesla", "Model S", 2012, 2024, 75000},
    {"Hyundai", "Elantra", 1991, 2024, 21000},     {"Hyundai", "Tucson", 2005, 2024, 28000},
    {"Kia", "Sportage", 1995, 2024, 27000},        {"Kia", "Soul", 2010, 2024, 20000},
    {"Jeep", "Wrangler", 1990, 2024, 33000},       {"Jeep", "Grand Cherokee", 1993, 2024, 40000},
    {"Porsche", "911", 1990, 2024, 110000},        {"Lexus", "RX", 1998, 2024, 49000},
    {"Fiat", "500", 2007, 2024, 17000},            {"Peugeot", "208", 2012, 2024, 19000},
};

}  // namespace

const std::span<const Word> kFirstNames = kFirstNamesData;
const std::span<const Word> kLastNames = kLastNamesData;
const std::span<const Word> kTitles = kTitlesData;
const std::span<const Word> kGenders = kGendersData;
const std::span<const Word> kLanguages = kLanguagesData;
const std::span<const Word> kAcademicDegrees = kAcademicDegreesData;
const std::span<const Word> kNationalities = kNationalitiesData;
const std::span<const Word> kOccupations = kOccupationsData;
const std::span<const Word> kBloodTypes = kBloodTypesData;
const std::span<const Word> kStreetNames = kStreetNamesData;
const std::span<const Word> kStreetSuffixes = kStreetSuffixesData;
const std::span<const Word> kEmailDomains = kEmailDomainsData;
const std::span<const Word> kTags = kTagsData;
const std::span<const Location> kLocations = kLocationsData;
const std::span<const CarModel> kCarModels = kCarModelsData;

}  // namespace sluice::faker
