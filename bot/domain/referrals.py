"""Medical questions the article cannot answer: the bot refers them to a doctor or pharmacist.

The article is about vitamin D and back pain in general. It says nothing about pregnancy or
breastfeeding, children, other medicines and conditions, treatments other than its own, or what a
particular person's pain is; and the bot is not a clinician. A question in one of those areas gets
one clear reply ("this program can't advise on that; ask your doctor or pharmacist"), even when it
also names an FAQ topic: "how much vitamin D can I give my 6-year-old" is about a child first.

Each topic is a set of word patterns over the folded text (bot.domain.text.fold), because these
words are few, well known and decisive; ``referral_topic`` returns the first topic found.
"""

from __future__ import annotations

import re

from bot.domain.text import fold

_ADULT_AGE = 18

# Generic drug names end in a few well-known stems (INN suffixes): -pril, -sartan, -olol...
_DRUG_SUFFIX = (r"\w{2,}(?:pril|sartan|olol|statin|prazole|xaban|gatran|parin|dipine|oxetine|triptyline|azepam"
                r"|azolam|cycline|mycin|cillin|floxacin|tidine|gliptin|gliflozin|glutide|mab|afil|codone|morphone"
                r"|profen|coxib|fenac|semide|thiazide|dronate|triptan|setron|tretin|lukast|nidazole|azole|vir|icam|olone|asone"
                r"|isone|ofen|ifen|carbamol|zanidine|tadine|tizine|vastatin)")
# Asking how much of something: a dose, an amount, a strength.
_DOSE = r"(?:how much|how many|dose|doses|dosage|dosing|mg|mcg|milligrams?|grams?|iu|units|strength|amount)"
# "my level is 12" (not "my 4 year old": a child, below)
_OWN_RESULT = r"(?:my|i m|im|i am)(?: [a-z]+){0,4}? \d+(?:\.\d+)?\b(?! ?(?:years?|yrs?|y|yo|months?|weeks?)\b)"
# Supplements the article names next to vitamin D (the nutrients entry answers which ones help,
# but not how much of each), and supplements it never names at all.
_NUTRIENTS = r"(?:magnesium|calcium|omega ?3s?|fish oils?|protein powders?|krill oil)"
_OTHER_SUPPLEMENTS = (r"zinc", r"iron", r"b ?12", r"b ?complex", r"vitamin (?:a|b\d*|c|e)", r"folic acid", r"folate",
                      r"collagen", r"turmeric", r"curcumin", r"glucosamine", r"chondroitin", r"msm", r"melatonin",
                      r"cbd", r"ashwagandha", r"creatine", r"multi ?vitamins?", r"boron", r"potassium", r"selenium",
                      r"probiotics?", r"evening primrose", r"biotin", r"kratom", r"kava", r"coq ?10", r"ginseng",
                      r"st johns? wort", r"ginkgo", r"valerian", r"electrolytes?", r"iodine", r"cod liver oil",
                      r"spirulina", r"moringa", r"sea moss", r"quercetin", r"apple cider vinegar", r"green tea extract",
                      r"bcaas?", r"whey", r"glutamine", r"resveratrol", r"maca", r"berberine", r"bone broth")
# Someone else whose dose the question asks for.
_PERSON = (r"(?:my|our|for (?:my|an?|the)) (?:\w+ ){0,3}(?:mum|mom|mother|dad|father|parents?|husband|wife|partner|"
           r"boyfriend|girlfriend|gran|granny|grandma|grandmother|grandad|grandpa|grandfather|nan|sister|brother|"
           r"friend|aunt|uncle|neighbou?r|patient|elderly|dog|cat|pet)")
# Conditions the article never discusses: a question about one is for a clinician.
# ("arthritis" alone is no topic: "my scan shows arthritis but little pain" is the FAQ's; asked
# as a diagnosis it is one, below.)
_CONDITIONS = (r"osteo ?arthritis", r"rheumatoid arthritis", r"psoriatic arthritis", r"osteoporo\w*",
                r"osteopenia", r"osteomalacia", r"fibromyalgia",
               r"scoliosis", r"kyphosis", r"lordosis", r"stenosis", r"spondyl\w*", r"ankylosing", r"gout", r"lupus",
               r"multiple sclerosis", r"ms", r"parkinsons?", r"dementia", r"alzheimers?", r"endometriosis",
               r"psoriasis", r"eczema", r"kidney stones?", r"shingles", r"polymyalgia", r"bursitis", r"tendinitis",
               r"tendonitis", r"sacroiliitis", r"piriformis", r"hypothyroid\w*", r"hyperthyroid\w*", r"hashimotos?",
               r"graves", r"anemi\w*", r"anaemi\w*", r"covid", r"long covid", r"depression", r"anxiety", r"obes\w* surgery",
               r"hernia", r"ibs", r"pcos", r"menopaus\w*", r"hrt", r"degenerative disc disease", r"ddd",
               r"ehlers danlos", r"hypermobil\w*", r"chronic fatigue syndrome", r"me cfs", r"cfs", r"asthma", r"copd",
               r"high cholesterol", r"cholesterol", r"osteogenesis", r"pagets?", r"myeloma", r"lymphoma", r"hiv",
               r"stroke", r"heart attack", r"restless legs?", r"sleep apnea", r"adhd", r"autism", r"arthritic",
               r"(?:knee|hip|shoulder|neck|wrist|ankle|elbow|jaw|tooth|foot|heel) (?:pain|ache|aches|injury|problems?)",
               r"(?:knees|hips|wrists|ankles|elbows|feet|heels) (?:hurt|ache|pain)", r"carpal tunnel", r"plantar",
               r"tennis elbow", r"frozen shoulder", r"bunions?")
# Other results of a blood test than vitamin D's: reading them is a clinician's job.
_OTHER_RESULTS = (r"ferritin", r"ha?emoglobin", r"hba1c", r"a1c", r"tsh", r"t4", r"blood sugar", r"glucose",
                  r"crp", r"esr", r"psa", r"white (?:blood )?cells?", r"platelets?", r"liver function",
                  r"egfr", r"creatinine", r"b12 levels?", r"iron levels?", r"pth", r"parathyroid hormone",
                  r"calcium (?:is |was |came back |comes back )?(?:already |too |very |a bit )?"
                  r"(?:high|raised|elevated|low)",
                  r"t ?scores?", r"z ?scores?",
                  r"(?:high|raised|elevated|low) calcium",
                  r"calcium in (?:the|my) blood")
# What people hope vitamin D does beyond the back, which the article never discusses.
_OTHER_BENEFITS = (r"colds", r"a cold", r"common cold", r"flu", r"influenza", r"hair loss", r"hair", r"balding",
                   r"acne", r"migraines?",
                   r"headaches?", r"weight loss", r"lose weight", r"losing weight", r"insomnia", r"libido",
                   r"erectile", r"eyesight", r"teeth", r"allerg\w*", r"hay fever", r"wrinkles?")
# What an imaging report or a disc problem is called: reading one is a clinician's job.
_FINDINGS = (r"herniat\w*", r"slipped discs?", r"bulg\w* discs?", r"disc bulges?", r"prolapsed? discs?",
             r"disc protrusions?", r"disc desiccation", r"desiccat\w*", r"modic", r"annular (?:tear|fissure)s?",
             r"osteophytes?", r"bone spurs?", r"facet (?:joint )?(?:arthropathy|hypertrophy|syndrome)", r"schmorl\w*",
             r"l[1-5] ?(?:l[1-5]|s1)", r"compression fracture")
# Named by the FAQ (nerve-pain), so only "do i have sciatica?" is a diagnosis, not "does d help sciatica?".
_DIAGNOSIS_SHAPE = (
    r"\b(?:is (?:it|this|that|my \w+(?: \w+)?)|could (?:it|this|that|my \w+(?: \w+)?) be|sounds? like|do i have|"
    r"have i got|i think i have) (?:a |an |just )?(?:sign of |symptom of )?(?:bad )?"
)
_ASKED_ONLY = (r"sciatica", r"pinched nerve", r"trapped nerve", r"disc problem", r"nerve damage", r"infection")


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


TOPICS: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...] = (
    ("pregnancy", (
        _words(r"pregnan\w*", r"breast ?fe\w*", r"nursing", r"lactat\w*", r"trimester",
               r"conceiv\w*", r"ttc", r"fertility", r"ivf", r"expecting a baby", r"(?:i am|im|i m|were|we are) expecting"),
    )),
    ("dose-for-someone", (
        re.compile(r"\b" + _DOSE + r"\b.*\b" + _PERSON + r"\b|\b" + _PERSON + r"\b.*\b" + _DOSE + r"\b"),
        # a dose for a body weight or an age: "i weigh 90 kg, how much", "i'm 72, what dose"
        re.compile(r"\b" + _DOSE + r"\b.*\b(?:\d+ ?(?:kg|kgs|kilos?|lbs?|pounds|stone)|(?:i am|im|i m) \d{2}|weigh\w*|my age)\b"),
        re.compile(r"\b(?:\d+ ?(?:kg|kgs|kilos?|lbs?|pounds|stone)|(?:i am|im|i m) \d{2}|i weigh)\b.*\b" + _DOSE + r"\b"),
        # a dose for this person's own result: "my level is 12, how much should i take"
        # (not "i take 10000 iu, is that too much": the FAQ's too-much entry answers that)
        re.compile(r"^(?!.*\b(?:too much|too high|overdos\w*|toxic\w*)\b).*(?:\b" + _DOSE + r"\b.*\b" + _OWN_RESULT
                   + r"|\b" + _OWN_RESULT + r".*\b" + _DOSE + r"\b)"),
    )),
    ("supplements", (
        re.compile(r"\b" + _DOSE + r"\b.*\b" + _NUTRIENTS + r"\b|\b" + _NUTRIENTS + r"\b.*\b" + _DOSE + r"\b"),
        re.compile(r"\b(?:which|what|best) (?:form|type|kind|brand) of " + _NUTRIENTS + r"\b"),
        # a product choice: "is d2 or d3 better", "what brand of vitamin d is best"
        re.compile(r"\bd ?2 (?:or|vs|versus) d ?3\b|\bd ?3 (?:or|vs|versus) d ?2\b"),
        # forms and products: sprays, gummies, drops or tablets, a shop's own brand, a lamp
        _words(r"sprays?", r"gumm(?:y|ies)", r"drops or (?:tablets|capsules|pills)", r"(?:tablets|capsules|pills) or drops",
               r"own ?brand", r"liquid (?:vitamin d3?|vit d3?|d3?)", r"additives",
               r"(?:which|what) (?:vitamin d )?products?",
               r"sun ?lamps?", r"uv lamps?", r"sunbeds?", r"tanning beds?", r"calcifediol",
               r"lichen", r"lanolin", r"(?:iu|ius) (?:are |is )?(?:in|per) (?:a |one )?(?:mcg|microgram)",
               r"(?:mcg|micrograms?) (?:in|to) (?:iu|ius)", r"without sun ?screen", r"sun ?screen"),
        re.compile(r"\b(?:which|what|best|good) (?:form|type|kind|brand|make) of (?:vitamin d3?|vit d3?|d3?)\b"),
        re.compile(r"\b" + _NUTRIENTS + r" (?:glycinate|citrate|oxide|threonate|carbonate|malate)\b"),
        re.compile(r"\b(?:glycinate|citrate|oxide|threonate|carbonate|malate) or "
                   r"(?:glycinate|citrate|oxide|threonate|carbonate|malate)\b"),
        _words(*_OTHER_SUPPLEMENTS),
    )),
    ("children", (
        _words(r"child", r"children", r"childs", r"kids?", r"sons?", r"daughters?", r"bab(?:y|ies)",
               r"toddlers?", r"infants?", r"newborns?", r"teens?", r"teenagers?", r"grand(?:child\w*|son|daughter)",
               r"my (?:boy|girl)", r"rickets", r"pediatric\w*", r"paediatric\w*"),
    )),
    ("medicines", (
        _words(r"warfarin", r"coumadin", r"eliquis", r"apixaban", r"xarelto", r"rivaroxaban",
               r"blood thinners?", r"anticoagulants?", r"statins?", r"\w+statin", r"levothyroxine",
               r"thyroxine", r"metformin", r"insulin", r"antidepressants?", r"ssris?", r"sertraline",
               r"fluoxetine", r"steroids?", r"prednis\w*", r"cortisone", r"ibuprofen", r"naproxen",
               r"nsaids?", r"paracetamol", r"acetaminophen", r"tylenol", r"advil", r"aspirin",
               r"tramadol", r"codeine", r"morphine", r"opioids?", r"oxycodone", r"gabapentin",
               r"pregabalin", r"lyrica", r"diuretics?", r"digoxin", r"anticonvulsants?", r"phenytoin",
               r"medications?", r"medicines?", r"meds", r"prescriptions?", r"prescribed?", r"drugs?",
               r"the pill", r"contracepti\w*", r"birth control", r"interacts?", r"interactions?",
               r"vitamin k2?", r"k2", r"chemo\w*", r"supplements? i (?:am|m) on",
               r"antibiotics?", r"antacids?", r"ppis?", r"orlistat", r"cholestyramine", r"estrogen", r"oestrogen",
               r"testosterone", r"methotrexate", r"biologics?", r"humira", r"muscle relaxants?", r"diazepam", r"valium",
               r"cyclobenzaprine", r"amitriptyline", r"duloxetine", r"cymbalta", r"co ?codamol", r"diclofenac",
               r"voltaren", r"beta blockers?", r"lithium", r"bisphosphonates?", r"fosamax", r"ozempic", r"wegovy",
               r"mounjaro", r"antihistamines?", r"aleve", r"motrin", r"nurofen", r"excedrin", r"percocet", r"vicodin",
               r"fentanyl", r"suboxone", r"methadone", r"zoloft", r"prozac", r"lexapro", r"citalopram", r"venlafaxine",
               r"effexor", r"wellbutrin", r"bupropion", r"xanax", r"adderall", r"ritalin", r"synthroid", r"plavix",
               r"pradaxa", r"cannabis", r"marijuana", r"weed", r"pills? (?:i (?:am|m) on|i take)", r"my (?:pills|tablets)",
               r"calcitriol", r"alfacalcidol", r"hydroxychloroquine", r"plaquenil", r"tamoxifen", r"letrozole",
               r"anastrozole", r"allopurinol", r"colchicine", r"spironolactone", r"furosemide", r"lasix", _DRUG_SUFFIX),
        re.compile(r"\b(?:which|what|best|stop|stopping|take|taking|ok|okay|safe|strong\w*)\b.*\bpain ?killers?\b"),
        re.compile(r"\bpain ?killers?\b.*\b(?:ok|okay|safe|take|stop|best|work)\b"),
    )),
    ("conditions", (
        _words(r"kidneys?", r"renal", r"dialysis", r"liver", r"sarcoid\w*", r"hypercalc\w*", r"\w*parathyroid\w*",
               r"cancer", r"tumou?rs?", r"diabet\w*", r"epilep\w*", r"seizures?", r"thyroid",
               r"heart (?:condition|disease|problems?|pills|medication|meds)", r"blood pressure",
               r"crohn\w*", r"c[oe]eliac", r"gastric bypass", r"lupus", r"rheumatoid", r"alcohol",
               r"beer", r"wine", r"booze", *_CONDITIONS, *_OTHER_RESULTS, *_OTHER_BENEFITS),
        re.compile(r"\b(?:help|helps|cure|cures|fix|treat|treats|good for|for my|with my|prevent|have)\b.*\barthritis\b"),
    )),
    ("diagnosis", (
        # not "why do i have low vitamin d" (the FAQ's why-common) nor "do i have a deficiency"
        re.compile(r"(?<!why )\b(?:do|could|might|may|have) i (?:have|got)\b(?! to\b)"
                   r"(?! (?:a |an )?(?:low|lack|vitamin|vit|d|deficien\w*|insufficien\w*)\b)"),
        re.compile(r"\bhave i got\b"),
        _words(r"diagnose me", r"diagnose my \w+", r"(?:my|a) diagnosis", r"diagnose (?:it|this)", r"you diagnose",
               r"whats wrong with (?:me|my \w+)", r"what is wrong with (?:me|my \w+)",
               r"fibromyalgia", r"stenosis", r"bow legs", r"bowed legs"),
        re.compile(r"\bcan you tell (?:me )?if i\b"),
        # a test for this person: "do i need an mri", "should i get an x-ray"
        re.compile(r"\b(?:do|should|would) i (?:need|get|have|ask for) (?:an? )?(?:mri|x ?rays?|ct|scans?|ultrasound|imaging)\b"),
        _words(*_FINDINGS, r"what(?:s| is) causing my \w+", r"what(?:s| is) wrong with my \w+"),
        # "what does my MRI mean", "can you read my x-ray": a report about this person's body (not "why
        # does my scan look normal": the FAQ answers that).
        re.compile(r"\b(?:read|interpret|explain|look at|check|go over|go through) (?:my|the|this|these|his|her) "
                   r"(?:\w+ )?(?:mri|x ?rays?|ct|scans?|radiolog\w*|ultrasound|report|imaging)\b"),
        re.compile(r"\bwhat do(?:es)? (?:my|the|this|his|her) (?:\w+ )?(?:mri|x ?rays?|ct|scan|scans|radiology|"
                   r"ultrasound|report)(?: \w+)? (?:mean|say|show)\b"),
        re.compile(_DIAGNOSIS_SHAPE + r"(?:" + "|".join(_CONDITIONS + _FINDINGS) + r"|arthritis)\b"),
        # "is this sciatica?" is a diagnosis; "is this sciatica from low vitamin d?" is the FAQ's question.
        re.compile(r"^(?!.*\b(?:vitamin|vit|d3|deficien\w*|low d)\b).*" + _DIAGNOSIS_SHAPE
                   + r"(?:" + "|".join(_ASKED_ONLY) + r")\b"),
    )),
    ("about-the-bot", (
        re.compile(r"\bare you (?:a |an )?(?:real |actual |qualified |licensed |proper |certified )?"
                   r"(?:doctor|dr|physician|nurse|pharmacist|human|person|medical\w*|professional|expert|qualified)\b"),
        _words(r"scam", r"scams", r"legit", r"legitimate", r"fake", r"trustworthy",
               r"trust (?:you|this|it|what you say)", r"medical advice",
               r"talking to a (?:human|person|real person|real doctor|doctor|bot|robot|machine)",
               r"who (?:wrote|writes|made) (?:this|the) (?:program|programme|advice|content)", r"evidence ?based",
               r"(?:doctors?|physicians?|clinicians?|experts?) behind (?:this|you|it)",
               r"who (?:made|built|runs|owns|is behind) (?:you|this)", r"qualified", r"is this real",
               r"(?:a )?bot or (?:a )?(?:human|person|real person)", r"(?:a )?(?:human|person) or (?:a )?bot",
               r"(?:speak|talk|chat) (?:to|with) (?:a |an )?(?:real |actual )?(?:doctor|human|person|nurse)",
               r"are you (?:an? )?(?:ai|bot|robot|chatbot|chat ?gpt|machine|computer|program)",
               r"is this (?:an? )?(?:ai|bot|robot|chatbot|chat ?gpt)", r"medical licen[cs]e\w*",
               r"(?:checked|reviewed|approved|written|vetted) by (?:a |an |real |qualified )*"
               r"(?:doctors?|physicians?|clinicians?|experts?|professionals?)"),
    )),
    ("other-treatments", (
        _words(r"surgery", r"surgeon", r"operation", r"chiropract\w*", r"chiro", r"osteopath\w*",
               r"acupunct\w*", r"injections?", r"jabs?", r"epidural", r"heat (?:pad|pack)s?", r"heating pad",
               r"ice ?packs?", r"ice or heat", r"heat or ice", r"tens machine", r"massage",
               r"tonight", r"right now", r"cant sleep", r"cannot sleep", r"prescribe",
               # devices worn for a back (a mattress or a pillow is no medical question: "I'm not sure")
               r"(?:back )?braces?", r"(?:back |support |lumbar )belts?",
               r"insoles?", r"orthotics?", r"corsets?", r"inversion table",
               r"dry needling", r"cupping", r"traction", r"spinal decompression", r"ablation", r"nerve blocks?",
               r"kinesio\w*", r"infrared", r"sauna", r"cryotherapy", r"cold plunge", r"ice baths?", r"shockwave",
               r"laser therapy", r"stem cells?", r"prp", r"botox"),
    )),
)

_AGE = re.compile(r"\b(\d{1,2}) ?(?:-| )?(?:years?|yrs?|y) ?(?:-| )?old\b|\b(\d{1,2}) ?yo\b|\b(\d{1,2}) ?months? old\b")


# "the MRI showed only a mild disc bulge, yet I can hardly get out of bed": a finding named to say
# the scan does not explain the pain, which the FAQ answers (imaging-mismatch), not a diagnosis.
_MISMATCH = re.compile(r"\b(?:mri|scans?|x ?rays?|imaging|ct)\b.*\b(?:only|just|mild|minor|small|slight|tiny|little|"
                       r"nothing|normal|clear)\b.*\b(?:but|yet|still|so bad|this bad|severe|why)\b")


def referral_topic(text: str) -> str | None:
    """The topic of a question the article cannot answer, or None."""
    folded = " ".join(fold(text).replace("-", " ").split())
    mismatch = _MISMATCH.search(folded) is not None
    for topic, patterns in TOPICS:
        if topic == "diagnosis" and mismatch:
            continue
        if any(pattern.search(folded) for pattern in patterns):
            return topic
    for match in _AGE.finditer(folded):
        age = match.group(1) or match.group(2)
        if match.group(3) or (age is not None and int(age) < _ADULT_AGE):
            return "children"
    return None
